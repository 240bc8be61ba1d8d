"""qpu_twin: a noise-aware digital twin of a quantum processor.

Public API
----------
DeviceProfile, load_profile, list_profiles
    Validated, dated device descriptions (see ``docs/profiles.md``).
QpuTwinError, ProfileError, CompileError, EngineError, CalibrationError
    The exception hierarchy.
"""

__version__ = "0.1.0"

from .errors import (
    CalibrationError,
    CompileError,
    DecoherenceWarning,
    EngineError,
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
    "CalibrationError",
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
