"""Importers: vendor data -> plain profile data (validated by :class:`~qpu_twin.DeviceProfile`).

Each importer returns ``(data, log)``: the profile as a plain dict and the
:class:`~._common.ImportLog` of adjustments it made. The public entry points
are the ``DeviceProfile.from_*`` class methods, which validate the data and
then emit the log's warnings.
"""

from .ibm import profile_data_from_ibm_properties
from .qiskit import profile_data_from_qiskit_backend
from .quantinuum import parse_uncertainty, profile_data_from_quantinuum_spec

__all__ = [
    "parse_uncertainty",
    "profile_data_from_ibm_properties",
    "profile_data_from_qiskit_backend",
    "profile_data_from_quantinuum_spec",
]
