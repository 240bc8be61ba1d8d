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
from ..errors import ArgumentError, DataError, check_instance
from ..noise.aer_level import _check_gate_args, aer_gate_superop  # noqa: F401 - re-exported (the builder's Aer-level maps)
from ..profiles.gates import NON_GATE_INSTRUCTIONS
from ..profiles.model import DeviceProfile

__all__ = ["aer_exact_distribution", "aer_gate_error", "aer_gate_errors", "aer_gate_superop",
           "aer_noise_model_from_ibm_properties", "measures_only_at_end", "to_aer_noise_model"]


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

    from ..profiles.store import load_profile

    profile = load_profile(profile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return NoiseModel.from_backend(_TargetBackend(profile).backend)


_ERRORS: dict[str, dict] = {}
_SINGLE: dict[tuple, object] = {}


def aer_gate_error(profile: DeviceProfile, name: str, qubits: tuple[int, ...]):
    """The QuantumError Aer's ``from_backend`` attaches to one gate (None if none).

    Computed for this gate alone with the same Aer routines as
    :func:`aer_gate_errors` (which builds the whole table: seconds on a
    127-qubit device); falls back to the table if those routines move.
    """
    profile, qubits = _check_gate_args(profile, name, qubits, non_gates=NON_GATE_INSTRUCTIONS)
    key = (profile.fingerprint, name, qubits)
    if key in _SINGLE:
        return _SINGLE[key]
    try:
        from qiskit.circuit import Gate
        from qiskit_aer.noise.device.models import (
            _combine_depol_and_relax_error,
            _device_depolarizing_error,
            _device_thermal_relaxation_error,
        )
    except ImportError:  # pragma: no cover - Aer internals changed
        return aer_gate_errors(profile).get((name, tuple(qubits)))
    target = cached_target(profile)
    props = target[name].get(tuple(qubits)) if name in target.operation_names else None
    err = None
    if props is not None:
        relax = None
        if props.duration:
            params = {q: (target.qubit_properties[q].t1, target.qubit_properties[q].t2,
                          target.qubit_properties[q].frequency) for q in qubits}
            relax = _device_thermal_relaxation_error(qubits=tuple(qubits), gate_time=props.duration,
                                                     relax_params=params, temperature=0)
        depol = None
        if props.error and isinstance(target.operation_from_name(name), Gate):
            depol = _device_depolarizing_error(qubits=tuple(qubits), error_param=props.error, relax_error=relax)
        err = _combine_depol_and_relax_error(depol, relax)
    if len(_SINGLE) > 20000:
        _SINGLE.clear()
    _SINGLE[key] = err
    return err


def aer_gate_errors(profile: DeviceProfile) -> dict:
    """``{(name, qubits): QuantumError}`` exactly as Aer's ``from_backend`` builds them (cached)."""
    from qiskit_aer.noise.device.models import basic_device_gate_errors

    from ..profiles.store import load_profile

    profile = load_profile(profile)
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

    check_instance("properties", properties, dict)
    check_instance("configuration", configuration, dict, allow_none=True)
    try:
        props = BackendProperties.from_dict(_strip_tzlocal(properties))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"properties: not a valid IBM backend_properties dict ({type(exc).__name__}: {exc})") from None
    dt = (configuration or {}).get("dt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return NoiseModel.from_backend_properties(props, dt=dt) if dt else NoiseModel.from_backend_properties(props)


def aer_exact_distribution(compiled, noise_model) -> dict[str, float]:
    """Exact outcome distribution of a circuit (measurements only at the end) under an Aer noise model.

    Aer's density-matrix method evolves the state up to the final
    measurements (``save_density_matrix``); the readout-error matrices of the
    same NoiseModel are applied classically. Raises :class:`ArgumentError` for
    mid-circuit measurements (check with :func:`measures_only_at_end`; sample
    with Aer instead).
    """
    import numpy as np
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    check_instance("compiled", compiled, QuantumCircuit)
    check_instance("noise_model", noise_model, NoiseModel, allow_none=True)
    body = compiled.copy_empty_like()
    meas = []  # (qubit, clbit)
    for inst in compiled.data:
        if inst.operation.name == "measure":
            meas.append((compiled.find_bit(inst.qubits[0]).index, compiled.find_bit(inst.clbits[0]).index))
            continue
        if meas and inst.operation.name != "barrier":
            raise ArgumentError(f"aer_exact_distribution: circuit {compiled.name!r} has an operation "
                                f"({inst.operation.name}) after a measurement: only terminal measurements "
                                "are supported (sample with AerSimulator instead)")
        body.append(inst)
    if not meas:
        raise ArgumentError(f"aer_exact_distribution: circuit {compiled.name!r} measures nothing")
    qubits = [q for q, _ in meas]
    body.save_density_matrix(qubits=qubits, label="rho")
    from ..parallel import worker_threads

    sim = AerSimulator(method="density_matrix", noise_model=noise_model, max_parallel_threads=worker_threads() or 0)
    rho = np.asarray(sim.run(body, shots=1).result().data(0)["rho"])
    m = len(qubits)
    t = np.real(np.diag(rho)).reshape([2] * m)  # axis i <-> qubits[m-1-i]
    ro = noise_model._local_readout_errors if noise_model is not None else {}
    for j, q in enumerate(qubits):
        err = ro.get((q,))
        if err is None:
            continue
        mat = np.asarray(err.probabilities)  # [actual, recorded]
        ax = m - 1 - j
        t = np.moveaxis(np.tensordot(mat.T, t, axes=([1], [ax])), 0, ax)
    flat = t.reshape(-1)
    nc = compiled.num_clbits
    out: dict[str, float] = {}
    for idx, p in enumerate(flat):
        key = 0
        for j, (_, c) in enumerate(meas):
            if (idx >> j) & 1:
                key |= 1 << c
        s = format(key, f"0{nc}b")
        out[s] = out.get(s, 0.0) + float(p)
    return out


def measures_only_at_end(circuit) -> bool:
    """True if ``circuit`` measures something and nothing but barriers follows its first measurement."""
    from qiskit import QuantumCircuit

    check_instance("circuit", circuit, QuantumCircuit)
    seen = False
    for inst in circuit.data:
        name = inst.operation.name
        if name == "measure":
            seen = True
        elif seen and name != "barrier":
            return False
    return seen
