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
