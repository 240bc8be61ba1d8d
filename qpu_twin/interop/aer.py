"""Export a profile to the Qiskit Aer noise model its users know.

``to_aer_noise_model(profile)`` is what ``NoiseModel.from_backend`` builds for
a backend whose Target is the profile's: per gate, thermal relaxation over the
gate duration composed with a depolarizing error that tops the average gate
infidelity up to the profile's error; relaxation after resets; asymmetric
readout errors; relaxation on ``delay`` instructions (Aer's
``RelaxationNoisePass``). No ZZ, no idle noise outside delays.
"""

from __future__ import annotations

import warnings

from ..compile.target import cached_target
from ..profiles.model import DeviceProfile


class _TargetBackend:
    """The minimum of a BackendV2 that ``NoiseModel.from_backend`` reads."""

    def __init__(self, profile: DeviceProfile):
        from qiskit.providers import BackendV2

        target = cached_target(profile)

        class _B(BackendV2):
            def __init__(self):
                super().__init__(name=profile.name)

            @property
            def target(self):
                return target

            @property
            def max_circuits(self):
                return None

            @classmethod
            def _default_options(cls):
                from qiskit.providers import Options

                return Options()

            def run(self, run_input, **options):  # pragma: no cover - never run
                raise NotImplementedError

        self.backend = _B()


def to_aer_noise_model(profile: DeviceProfile | str):
    """A ``qiskit_aer.noise.NoiseModel`` equivalent to the profile at Aer's gate level.

    Examples
    --------
    >>> from qpu_twin import to_aer_noise_model
    >>> nm = to_aer_noise_model("line5")
    >>> sorted(nm.basis_gates)[:3]
    ['cx', 'delay', 'id']
    """
    from qiskit_aer.noise import NoiseModel

    from ..profiles.io import load_profile

    profile = load_profile(profile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return NoiseModel.from_backend(_TargetBackend(profile).backend)


_ERRORS: dict[str, dict] = {}


def aer_gate_errors(profile: DeviceProfile) -> dict:
    """``{(name, qubits): QuantumError}`` exactly as Aer's ``from_backend`` builds them (cached)."""
    from qiskit_aer.noise.device.models import basic_device_gate_errors

    key = profile.fingerprint
    if key not in _ERRORS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            errs = basic_device_gate_errors(target=cached_target(profile))
        if len(_ERRORS) > 8:
            _ERRORS.clear()
        _ERRORS[key] = {(name, tuple(qubits)): err for name, qubits, err in errs}
    return _ERRORS[key]


def _strip_tzlocal(obj):
    if isinstance(obj, dict):
        return {k: _strip_tzlocal(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_tzlocal(v) for v in obj]
    if isinstance(obj, str) and obj.endswith(" [tzlocal]"):
        return obj[: -len(" [tzlocal]")] + "+00:00"  # same UTC reading as the profile importer
    return obj


def aer_noise_model_from_ibm_properties(properties: dict, configuration: dict | None = None):
    """Aer's ``NoiseModel.from_backend_properties`` for a legacy IBM properties dict.

    The baseline IBM users know for archived jobs. Dates with IBM's
    ``" [tzlocal]"`` suffix (which ``BackendProperties`` cannot parse) are read
    as UTC, as in :func:`~qpu_twin.DeviceProfile.from_ibm_properties`.
    """
    from qiskit_aer.noise import NoiseModel
    from qiskit_ibm_runtime.models import BackendProperties

    props = BackendProperties.from_dict(_strip_tzlocal(properties))
    dt = (configuration or {}).get("dt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return NoiseModel.from_backend_properties(props, dt=dt) if dt else NoiseModel.from_backend_properties(props)
