"""qpu_twin: a noise-aware digital twin of a quantum processor.

Public API
----------
DeviceProfile, load_profile, list_profiles
    Validated, dated device descriptions (see ``docs/profiles.md``).
QpuTwinError, ArgumentError, ProfileError, CompileError, EngineError, DataError, CalibrationError, ...
    The exception hierarchy (:mod:`qpu_twin.errors`).
"""

from ._version import __version__
from .errors import (
    ArgumentError,
    BenchmarkError,
    CalibrationError,
    CompileError,
    CostWarning,
    DataError,
    DecoherenceWarning,
    EngineError,
    FitError,
    Interrupted,
    ProfileError,
    ProfileWarning,
    QpuTwinError,
)
from .profiles import (
    DeviceProfile,
    Gate,
    Qubit,
    list_profiles,
    load_profile,
    profile_json_schema,
)

from .interop.aer import to_aer_noise_model  # noqa: E402
from .interop.backend import TwinBackend  # noqa: E402
from .noise.options import NoiseOptions  # noqa: E402
from .twin import Result, Twin  # noqa: E402


def _cirq_exporter(profile, **kwargs):
    from .interop.cirq import to_cirq_noise_model as export

    return export(profile, **kwargs)


from .profiles.model import register_exporter  # noqa: E402

register_exporter("cirq", _cirq_exporter)  # DeviceProfile.to_cirq_noise_model (the model does not import interop)

__all__ = [
    "__version__",
    "NoiseOptions",
    "Result",
    "Twin",
    "TwinBackend",
    "to_aer_noise_model",
    "ArgumentError",
    "BenchmarkError",
    "CalibrationError",
    "CostWarning",
    "DataError",
    "FitError",
    "Interrupted",
    "CompileError",
    "DecoherenceWarning",
    "DeviceProfile",
    "EngineError",
    "Gate",
    "ProfileError",
    "ProfileWarning",
    "QpuTwinError",
    "Qubit",
    "list_profiles",
    "load_profile",
    "profile_json_schema",
]
