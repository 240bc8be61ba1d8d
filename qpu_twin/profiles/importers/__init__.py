"""Importers that build a :class:`~qpu_twin.DeviceProfile` from vendor data."""

from .ibm import profile_from_ibm_properties
from .qiskit import profile_from_qiskit_backend
from .quantinuum import parse_uncertainty, profile_from_quantinuum_spec

__all__ = [
    "parse_uncertainty",
    "profile_from_ibm_properties",
    "profile_from_qiskit_backend",
    "profile_from_quantinuum_spec",
]
