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

# The simulation side (Qiskit, QuTiP, numba) loads on first use, so that `import qpu_twin`, the
# profiles and `qpu-twin --help` (or a mistyped command) answer at once.
_LAZY = {
    "Twin": "twin", "Result": "twin", "TwinBackend": "interop.backend", "to_aer_noise_model": "interop.aer",
    "NoiseOptions": "noise.options",
}


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    try:  # a subpackage used as an attribute (qpu_twin.twin, qpu_twin.fit, ...)
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def _cirq_exporter(profile, **kwargs):
    from .errors import check_kwargs
    from .interop.cirq import to_cirq_noise_model as export

    check_kwargs("DeviceProfile.to_cirq_noise_model", kwargs, export)
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
