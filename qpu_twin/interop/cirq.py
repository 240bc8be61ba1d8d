"""Cirq interop: any profile as a ``cirq.NoiseModel``, Cirq circuits on the twin.

* :func:`to_cirq_noise_model` (also ``profile.to_cirq_noise_model()``): the
  twin's ``noise="aer"`` level as a Cirq noise model: after each native gate
  exactly the error Qiskit Aer's ``NoiseModel.from_backend`` attaches (thermal
  relaxation over the gate duration composed with depolarizing, the same
  superoperators the twin's ``aer`` level uses), relaxation after resets and on
  ``cirq.WaitGate``, readout error as a generalized amplitude damping just
  before each measurement (it reproduces p(1|0) and p(0|1) of a Z
  measurement exactly, as cirq-google's own model does), no ZZ, no idle noise
  outside explicit waits. ``cirq.DensityMatrixSimulator(noise=model)`` then
  gives the twin's ``aer``-level distribution (tested to 1e-6).
* :func:`cirq_to_qiskit`: a Cirq circuit in a profile's native gates as the
  physical Qiskit circuit the twin runs (``Twin.run(..., transpile=False)``).
* :func:`compare_with_cirq_google`: the twin against cirq-google's
  ``NoiseModelFromGoogleNoiseProperties`` on the same calibration.

Qubits: profile qubit i is ``qubits[i]``; default ``cirq.LineQubit(i)``, or the
``GridQubit``s of a profile imported with ``DeviceProfile.from_cirq_google``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import CompileError, QpuTwinError
from ..profiles.store import load_profile
from ..profiles.model import DeviceProfile


def _require_cirq():
    try:
        import cirq
    except ImportError as exc:  # pragma: no cover
        raise QpuTwinError("Cirq interop needs cirq-core: pip install 'qpu_twin[interop]'") from exc
    return cirq


def default_qubits(profile: DeviceProfile) -> list:
    """``GridQubit``s of a cirq-google import, else ``LineQubit(i)`` for profile qubit i."""
    cirq = _require_cirq()
    if any(n.startswith("cirq qubits: ") for n in profile.provenance.notes):
        from ..profiles.importers.cirq_google import grid_qubits

        return grid_qubits(profile)
    return [cirq.LineQubit(i) for i in range(profile.num_qubits)]


# ---------------------------------------------------------------------- gate matching
def _be(u_le: np.ndarray) -> np.ndarray:
    """Little-endian (Qiskit) 2-qubit matrix -> big-endian (Cirq) over the same qubit list."""
    p = np.array([0, 2, 1, 3])
    return u_le[np.ix_(p, p)]


def _equal_up_to_phase(a: np.ndarray, b: np.ndarray, atol: float = 1e-8) -> bool:
    idx = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    if abs(a[idx]) < 1e-12:
        return False
    phase = a[idx] / b[idx]
    return abs(abs(phase) - 1) < atol and np.allclose(a, phase * b, atol=atol)


class _Matcher:
    """Maps Cirq operations to (native gate name, Qiskit gate) of a profile."""

    def __init__(self, profile: DeviceProfile):
        from qiskit.circuit.library import get_standard_gate_name_mapping

        from ..compile.native_gates import CUSTOM_GATES

        self.profile = profile
        std = get_standard_gate_name_mapping()
        self.names = set(profile.native_gates)
        self.fixed: dict[int, list[tuple[str, Any, np.ndarray]]] = {1: [], 2: []}
        for name in sorted(self.names):
            gate = std[name] if name in std else CUSTOM_GATES[name]()
            if gate.params:
                continue
            u = np.asarray(gate.to_matrix() if hasattr(gate, "to_matrix") else np.asarray(gate), dtype=complex)
            k = gate.num_qubits
            self.fixed[k].append((name, gate, _be(u) if k == 2 else u))

    def match(self, op):
        """(name, qiskit gate) for a cirq operation; raises CompileError if not native."""
        cirq = _require_cirq()
        from qiskit.circuit.library import RZGate, UGate
        from qiskit.synthesis import OneQubitEulerDecomposer

        gate = op.gate
        k = len(op.qubits)
        if k == 1 and isinstance(gate, cirq.ZPowGate) and "rz" in self.names:
            return "rz", RZGate(float(gate.exponent) * np.pi)
        u = cirq.unitary(op, None)
        if u is None:
            raise CompileError(f"{op}: no unitary (not a native gate of {self.profile.name})")
        for name, qgate, m in self.fixed.get(k, []):
            if _equal_up_to_phase(u, m):
                return name, qgate
        if k == 1:
            for name in ("u", "u3"):
                if name in self.names:
                    theta, phi, lam = OneQubitEulerDecomposer("U").angles(u)
                    return name, UGate(theta, phi, lam) if name == "u" else _u3(theta, phi, lam)
        raise CompileError(f"{op}: not a native gate of {self.profile.name} (native: {', '.join(sorted(self.names))})")


def _u3(theta, phi, lam):
    from qiskit.circuit.library import U3Gate

    return U3Gate(theta, phi, lam)


def cirq_to_qiskit(circuit, profile: DeviceProfile | str, *, qubits: Sequence | None = None):
    """A Cirq circuit in the profile's native gates as a physical Qiskit circuit.

    Cirq qubit ``qubits[i]`` becomes device qubit i. Measurements fill the
    classical bits in circuit order (qubits of one measurement in its order):
    clbit j is the j-th measured qubit.
    """
    cirq = _require_cirq()
    from qiskit import QuantumCircuit
    from qiskit.circuit import Delay

    profile = load_profile(profile)
    qubits = default_qubits(profile) if qubits is None else list(qubits)
    index = {q: i for i, q in enumerate(qubits)}
    matcher = _Matcher(profile)
    ops = list(circuit.all_operations())
    n_meas = sum(len(op.qubits) for op in ops if cirq.is_measurement(op))
    qc = QuantumCircuit(profile.num_qubits, n_meas, name="from_cirq")
    c = 0
    for op in ops:
        missing = [q for q in op.qubits if q not in index]
        if missing:
            raise CompileError(f"{op}: qubit(s) {missing} are not qubits of {profile.name}")
        qs = [index[q] for q in op.qubits]
        if cirq.is_measurement(op):
            for q in qs:
                qc.measure(q, c)
                c += 1
            continue
        if isinstance(op.gate, cirq.ResetChannel):
            qc.reset(qs[0])
            continue
        if isinstance(op.gate, cirq.WaitGate):
            qc.append(Delay(float(op.gate.duration.total_nanos()), unit="ns"), [qs[0]])
            continue
        if isinstance(op.gate, cirq.IdentityGate):
            continue
        _, qgate = matcher.match(op)
        qc.append(qgate, qs)
    return qc


# ---------------------------------------------------------------------- the noise model
def _kraus_be(superop_row_major: np.ndarray, k: int) -> list[np.ndarray]:
    """Kraus operators (Cirq big-endian over the op's qubits) of a row-major superop."""
    from qiskit.quantum_info import Kraus, SuperOp

    from ..noise import channels as ch

    ks = Kraus(SuperOp(ch.swap_vec_order(superop_row_major))).data
    return [(_be(m) if k == 2 else m) for m in ks]


def to_cirq_noise_model(profile: DeviceProfile | str, *, qubits: Sequence | None = None):
    """A ``cirq.NoiseModel`` of the profile at the twin's ``noise="aer"`` level (see module docstring).

    Parameters
    ----------
    profile : DeviceProfile or str
    qubits : sequence of cirq qubits, optional
        Cirq qubit of each profile qubit (default :func:`default_qubits`).

    Examples
    --------
    >>> import cirq
    >>> from qpu_twin.interop.cirq import to_cirq_noise_model
    >>> model = to_cirq_noise_model("line5")
    >>> q = cirq.LineQubit.range(2)
    >>> rho = cirq.DensityMatrixSimulator(noise=model).simulate(cirq.Circuit(cirq.X(q[0]))).final_density_matrix
    >>> round(float(rho[0, 0].real), 4) > 0
    True
    """
    cirq = _require_cirq()
    from ..noise import channels as ch
    from .aer import aer_gate_superop

    profile = load_profile(profile)
    qubits = default_qubits(profile) if qubits is None else list(qubits)
    index = {q: i for i, q in enumerate(qubits)}
    matcher = _Matcher(profile)
    cache: dict[tuple, list] = {}

    def _channel(name, qs):
        key = (name, tuple(qs))
        if key not in cache:
            s = aer_gate_superop(profile, name, tuple(qs))
            cache[key] = None if s is None else _kraus_be(s, len(qs))
        return cache[key]

    class TwinAerNoiseModel(cirq.NoiseModel):
        """qpu_twin's ``aer`` noise level of one profile as a Cirq noise model."""

        def __init__(self):
            self.profile = profile
            self.qubits = qubits

        def noisy_operation(self, op):
            qs = [index.get(q) for q in op.qubits]
            if any(q is None for q in qs):
                raise CompileError(f"{op}: qubit(s) not in {profile.name}'s qubit map")
            if cirq.is_measurement(op):
                pre = []
                for q, cq in zip(qs, op.qubits):
                    p10 = profile.qubit(q).prob_meas1_prep0 or 0.0
                    p01 = profile.qubit(q).prob_meas0_prep1 or 0.0
                    if p10 + p01 > 0:
                        pre.append(cirq.generalized_amplitude_damp(p01 / (p10 + p01), p10 + p01).on(cq))
                return pre + [op]
            if isinstance(op.gate, cirq.ResetChannel):
                kr = _channel("reset", qs)
                return [op] if kr is None else [op, cirq.KrausChannel(kr).on(*op.qubits)]
            if isinstance(op.gate, cirq.WaitGate):
                qb = profile.qubit(qs[0])
                t2 = None if qb.t2_us is None else min(qb.t2_us, 2 * qb.t1_us) if qb.t1_us else qb.t2_us
                s = ch.relaxation_superop(float(op.gate.duration.total_nanos()), qb.t1_us, t2)
                return [op, cirq.KrausChannel(_kraus_be(s, 1)).on(*op.qubits)]
            if isinstance(op.gate, cirq.IdentityGate):
                return [op]
            name, _ = matcher.match(op)
            kr = _channel(name, qs)
            return [op] if kr is None else [op, cirq.KrausChannel(kr).on(*op.qubits)]

    return TwinAerNoiseModel()


# ---------------------------------------------------------------------- exact distributions
def cirq_distribution(circuit, noise=None) -> dict[str, float]:
    """Exact outcome distribution of a Cirq circuit with terminal measurements.

    Noise (a ``cirq.NoiseModel``) is inserted first; the measurements are then
    dropped (their readout channels kept) and the distribution read from the
    final density matrix. Keys follow Qiskit's order: the j-th measured qubit is
    clbit j, the rightmost character.
    """
    cirq = _require_cirq()
    meas_qubits = [q for op in circuit.all_operations() if cirq.is_measurement(op) for q in op.qubits]
    noisy = circuit if noise is None else circuit.with_noise(noise)
    body = cirq.Circuit(cirq.Moment(op for op in m if not cirq.is_measurement(op)) for m in noisy)
    order = sorted(circuit.all_qubits())
    rho = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(body, qubit_order=order).final_density_matrix
    probs = np.clip(np.real(np.diag(rho)), 0.0, None)
    n = len(order)
    pos = {q: n - 1 - i for i, q in enumerate(order)}  # bit position in the big-endian index
    out: dict[str, float] = {}
    for idx, p in enumerate(probs):
        key = "".join(str((idx >> pos[q]) & 1) for q in reversed(meas_qubits))
        out[key] = out.get(key, 0.0) + float(p)
    return out


def tvd(p: dict[str, float], q: dict[str, float]) -> float:
    """Total variation distance of two distributions (dicts of probabilities)."""
    keys = set(p) | set(q)
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in keys)


def google_noise_model(processor: str, *, coherent: bool = True):
    """cirq-google's ``NoiseModelFromGoogleNoiseProperties`` of a shipped calibration.

    The same inputs :func:`~qpu_twin.DeviceProfile.from_cirq_google` imports
    (median calibration, z-phase data, legacy gate times); ``coherent=False``
    drops the fSim coherent errors (theta, phi, zeta, gamma) that the profile
    cannot hold, for a like-for-like comparison.
    """
    import dataclasses

    import cirq_google
    from cirq_google.engine import virtual_engine_factory as vef

    cal = vef.load_median_device_calibration(processor)
    zphase = vef.load_sample_device_zphase(processor) if processor in vef.ZPHASE_DATA else None
    props = cirq_google.engine.noise_properties_from_calibration(cal, gate_times_ns="legacy", zphase_data=zphase)
    if not coherent:
        props = dataclasses.replace(props, fsim_errors={})
    return cirq_google.NoiseModelFromGoogleNoiseProperties(props)


def compare_with_cirq_google(twin_profile, processor: str, circuits, *, seed: int = 0) -> list[dict[str, float]]:
    """Per circuit the TVD between the twin and cirq-google's model of the same calibration.

    Columns: ``noise`` = TVD(ideal, cirq) (how much noise there is to agree on);
    ``twin`` / ``twin_no_idle`` = TVD(twin lindblad with / without idle noise,
    cirq); each against cirq-google's model with (``*_coherent``) and without
    its coherent fSim errors.
    """
    from ..twin import Twin  # interop may use twin

    profile = load_profile(twin_profile)
    models = {"coherent": google_noise_model(processor), "incoherent": google_noise_model(processor, coherent=False)}
    twins = {"twin": Twin(profile), "twin_no_idle": Twin(profile, noise={"idle": False})}
    rows = []
    for circ in circuits:
        qc = cirq_to_qiskit(circ, profile)
        ideal = cirq_distribution(circ)
        row: dict[str, float] = {}
        ref = {k: cirq_distribution(circ, m) for k, m in models.items()}
        for tname, tw in twins.items():
            p = tw.run(qc, transpile=False).probabilities
            row[f"{tname}_vs_cirq"] = tvd(p, ref["incoherent"])
            row[f"{tname}_vs_cirq_coherent"] = tvd(p, ref["coherent"])
        row["noise"] = tvd(ideal, ref["incoherent"])
        row["noise_coherent"] = tvd(ideal, ref["coherent"])
        rows.append(row)
    return rows
