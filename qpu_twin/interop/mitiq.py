"""Error mitigation with mitiq against the twin: executors, PEC representations, readout.

Rehearse ZNE, PEC and readout-error mitigation on a twin before spending
hardware time::

    from mitiq import zne
    from qpu_twin import Twin
    from qpu_twin.interop.mitiq import twin_executor

    twin = Twin("ibm_hanoi")
    execute = twin_executor(twin, "ZZZZ", shots=10_000, seed=1)
    zne.execute_with_zne(ghz4, execute)          # ghz4: a 4-qubit Qiskit or Cirq circuit

How a circuit runs
------------------
mitiq hands the executor Qiskit or Cirq circuits on *virtual* qubits (Cirq
circuits are converted with mitiq's own converter; qubit i is the i-th of the
circuit's sorted qubits). The executor fixes one **layout** (virtual qubit i
-> physical ``layout[i]``): given, or the twin's error-aware choice for the
first circuit it sees. Every circuit is then transpiled onto the device with
that layout at ``optimization_level=0``, so that mitiq's folded gates
(G G^-1 G) and PEC's inserted Paulis are *not* optimised away, and run on the
twin at its noise setting.

* ``observable`` given (a Qiskit label such as ``"ZZII"`` with qubit 0
  rightmost, a ``SparsePauliOp``, or a mitiq ``Observable``/``PauliString``):
  the executor returns a ``float``. Qubit-wise commuting terms share one
  measured circuit. ``shots=None`` gives the exact value; otherwise the value
  of ``shots`` seeded samples per group, and ``execute.history[-1]["std_error"]``
  its standard error (exact variance of that estimator).
* ``observable=None``: the executor returns a ``mitiq.MeasurementResult``
  (``shots`` bitstrings of the circuit's measurements), which mitiq needs for
  ``Observable`` arguments and for ``mitiq.rem``.
* ``readout_mitigation=True`` inverts the profile's per-qubit readout confusion
  on the measured bits (exactly, also per shot): tensored readout-error
  mitigation with the twin's known confusion matrices.
  :func:`inverse_confusion_matrix` gives the same matrix for ``mitiq.rem``.

PEC representations
-------------------
:func:`pec_representations` expresses each ideal native gate of a circuit as
a quasi-probability mixture of the gate *as the twin implements it* followed
by a Pauli correction. The twin's gate channel E = N o U is Pauli-twirled
(N_T has the Pauli fidelities f_Q of N) and inverted: the ideal gate is
U = sum_P eta_P (P o E) with eta_P = 4^-k sum_Q (-1)^<P,Q> / f_Q. This is exact
for the twirled channel: run the executor with ``twirl=True`` (the gates'
noise exactly Pauli-twirled, as randomized compiling makes it on hardware).
Without twirling the non-Pauli part of N (amplitude damping, coherent errors)
is not cancelled (on ibm_hanoi a 9-CNOT circuit keeps ~15 % of its bias).
Idle, ZZ and readout noise are not represented (use
``readout_mitigation=True`` for the last). The Pauli corrections run as the
device's native gates (``x``; ``z`` is a virtual ``rz``), whose own small
error is not represented.
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import numpy as np

from ..errors import QpuTwinError

_PAULI_GATES = {"I": None, "X": "x", "Y": "y", "Z": "z"}


# ---------------------------------------------------------------------- circuits in and out
def _to_qiskit(circuit):
    """A Qiskit circuit from a Qiskit or Cirq (or any mitiq-supported) program."""
    from qiskit import QuantumCircuit

    if isinstance(circuit, QuantumCircuit):
        return circuit
    try:
        from mitiq.interface import convert_from_mitiq, convert_to_mitiq
    except ImportError as exc:  # pragma: no cover
        raise QpuTwinError("a non-Qiskit circuit needs mitiq installed (pip install 'qpu_twin[interop]')") from exc
    cirq_circuit, _ = convert_to_mitiq(circuit)
    return convert_from_mitiq(cirq_circuit, "qiskit")


def _observable_terms(observable, num_qubits: int) -> list[tuple[str, float]]:
    """[(Qiskit label over num_qubits, real coefficient)] of an observable."""
    from qiskit.quantum_info import SparsePauliOp

    if isinstance(observable, str):
        if len(observable) != num_qubits:
            raise QpuTwinError(
                f"observable={observable!r} has {len(observable)} qubits but the circuit has {num_qubits}"
            )
        return [(observable, 1.0)]
    if isinstance(observable, SparsePauliOp):
        if observable.num_qubits != num_qubits:
            raise QpuTwinError(f"observable acts on {observable.num_qubits} qubits, the circuit on {num_qubits}")
        out = []
        for lab, c in observable.to_list():
            if abs(np.imag(c)) > 1e-12:
                raise QpuTwinError(f"observable term {lab}: coefficient {c!r} is not real")
            out.append((lab, float(np.real(c))))
        return out
    # mitiq Observable / PauliString
    try:
        from mitiq import Observable, PauliString
    except ImportError:  # pragma: no cover
        Observable = PauliString = ()  # type: ignore
    paulis = None
    if isinstance(observable, PauliString):
        paulis = [observable]
    elif isinstance(observable, Observable):
        paulis = list(observable.paulis)
    if paulis is None:
        raise QpuTwinError(
            f"observable of type {type(observable).__name__}: use a Qiskit label, a SparsePauliOp or a mitiq Observable"
        )
    out = []
    for ps in paulis:
        chars = ["I"] * num_qubits
        for q, p in ps._pauli.items():
            idx = q.x if hasattr(q, "x") else int(q)
            if idx >= num_qubits:
                raise QpuTwinError(f"observable names qubit {idx}; the circuit has {num_qubits}")
            chars[num_qubits - 1 - idx] = str(p)
        c = complex(ps.coeff)
        if abs(c.imag) > 1e-12:
            raise QpuTwinError(f"observable term {ps}: coefficient {c!r} is not real")
        out.append(("".join(chars), c.real))
    return out


def _groups(terms: list[tuple[str, float]]) -> list[list[tuple[str, float]]]:
    """Greedy qubit-wise commuting groups (terms in one group share a measurement basis)."""
    groups: list[tuple[dict[int, str], list]] = []
    for lab, c in terms:
        n = len(lab)
        basis = {n - 1 - i: ch for i, ch in enumerate(lab) if ch != "I"}
        for gb, members in groups:
            if all(gb.get(q, b) == b for q, b in basis.items()):
                gb.update(basis)
                members.append((lab, c))
                break
        else:
            groups.append((dict(basis), [(lab, c)]))
    return [m for _, m in groups]


# ---------------------------------------------------------------------- the executor
def twin_executor(
    twin,
    observable=None,
    *,
    shots: int | None = None,
    seed=None,
    layout: Sequence[int] | None = None,
    readout_mitigation: bool = False,
    twirl: bool = False,
    noise=None,
):
    """A mitiq executor that runs circuits on ``twin``.

    Parameters
    ----------
    twin : Twin
    observable : str, SparsePauliOp, mitiq Observable, or None
        With an observable the executor returns its expectation value (float);
        without, a ``mitiq.MeasurementResult`` of the circuit's measurements.
    shots : int, optional
        Samples per measured circuit. ``None`` (only with an observable): exact value.
    seed : int, optional
        Seeds the sampling (a new child seed per call) and the first layout choice.
    layout : sequence of int, optional
        Physical qubit of each virtual qubit. Default: the twin's transpiler
        choice for the first circuit executed, then fixed.
    readout_mitigation : bool
        Invert the profile's readout confusion on the measured bits.
    twirl : bool
        Pauli-twirl every gate's noise exactly (the infinite average over
        random Pauli frames, with ideal frame Paulis): each gate map E = N o U
        becomes N_T o U. What randomized compiling does on hardware; PEC with
        :func:`pec_representations` is then unbiased for the gate noise.
    noise : optional
        Noise setting for the twin (default: the twin's own).

    Returns
    -------
    callable
        ``execute(circuit)``; ``execute.layout`` is the layout used and
        ``execute.history`` a list of per-call records (value, std_error,
        shots, compiled circuit).
    """
    from qiskit import ClassicalRegister, QuantumCircuit

    if observable is None and shots is None:
        raise QpuTwinError("twin_executor without an observable returns bitstrings: give shots=")
    if shots is not None and (not isinstance(shots, (int, np.integer)) or shots < 1):
        raise QpuTwinError(f"twin_executor: shots={shots!r} must be a positive integer or None")
    ss = np.random.SeedSequence(seed)
    state: dict[str, Any] = {"layout": None if layout is None else [int(q) for q in layout], "cache": {}}
    history: list[dict] = []

    def _layout_for(qc: QuantumCircuit) -> list[int]:
        if state["layout"] is None:
            bare = qc.remove_final_measurements(inplace=False)
            compiled = twin.compile(bare, seed=int(ss.generate_state(1)[0] % (2**31)))
            lay = compiled.layout.initial_index_layout(filter_ancillas=True)
            state["layout"] = [int(q) for q in lay[: qc.num_qubits]]
            execute.layout = state["layout"]
        lay = state["layout"]
        if qc.num_qubits > len(lay):
            raise QpuTwinError(f"circuit has {qc.num_qubits} qubits but the executor's layout has {len(lay)}: {lay}")
        return lay[: qc.num_qubits]

    def _run(qc: QuantumCircuit):
        """(probabilities over clbits, physical qubit of each clbit, compiled)."""
        from qiskit.transpiler import generate_preset_pass_manager

        from ..compile.target import build_target

        lay = _layout_for(qc)
        key = (qc.num_qubits, tuple(lay), _fingerprint(qc))
        hit = state["cache"].get(key)
        if hit is not None:
            return hit
        try:
            pm = state.setdefault("pms", {}).get(tuple(lay))
            if pm is None:  # building the pass manager costs more than running it (0.15 s)
                pm = generate_preset_pass_manager(optimization_level=0, target=build_target(twin.profile),
                                                  initial_layout=list(lay), seed_transpiler=0)
                state["pms"][tuple(lay)] = pm
            compiled = pm.run(qc)
        except Exception as exc:
            raise QpuTwinError(f"twin_executor: transpiling onto {twin.profile.name} with layout {lay} failed: {exc}") from None
        if twirl:
            res = _run_twirled(twin, compiled, noise)
        else:
            res = twin.run(compiled, transpile=False, noise=noise)
        phys = {}
        for inst in compiled.data:
            if inst.operation.name == "measure":
                phys[compiled.find_bit(inst.clbits[0]).index] = compiled.find_bit(inst.qubits[0]).index
        out = (res.probabilities, phys, compiled)
        if len(state["cache"]) > 4096:
            state["cache"].clear()
        state["cache"][key] = out
        return out

    def _readout_weights(q_phys: int) -> np.ndarray:
        """w[b] = value of the mitigated Z estimator for recorded bit b (or plain (-1)^b)."""
        if not readout_mitigation:
            return np.array([1.0, -1.0])
        a = _confusion(twin, q_phys, noise)
        return np.linalg.inv(a).T @ np.array([1.0, -1.0])  # sum_b' inv[b', b] (-1)^b'

    if observable is not None:

        def execute(circuit) -> float:
            qc = _to_qiskit(circuit)
            if any(i.operation.name == "measure" for i in qc.data):
                qc = qc.remove_final_measurements(inplace=False)
            n = qc.num_qubits
            terms = _observable_terms(observable, n)
            total, var = 0.0, 0.0
            rng = np.random.default_rng(ss.spawn(1)[0])
            compiled_list = []
            for group in _groups(terms):
                const = sum(c for lab, c in group if set(lab) == {"I"})
                group = [(lab, c) for lab, c in group if set(lab) != {"I"}]
                total += const
                if not group:
                    continue
                support = sorted({n - 1 - i for lab, _ in group for i, ch in enumerate(lab) if ch != "I"})
                basis = {}
                for lab, _ in group:
                    for i, ch in enumerate(lab):
                        if ch != "I":
                            basis[n - 1 - i] = ch
                mc = qc.copy()
                creg = ClassicalRegister(len(support), "twin_obs")
                mc.add_register(creg)
                for q in support:
                    if basis[q] == "X":
                        mc.h(q)
                    elif basis[q] == "Y":
                        mc.sdg(q)
                        mc.h(q)
                for j, q in enumerate(support):
                    mc.measure(q, creg[j])
                probs, phys, compiled = _run(mc)
                compiled_list.append(compiled)
                off = mc.num_clbits - len(support)  # the new register's first clbit
                w = [_readout_weights(phys[off + j]) for j in range(len(support))]
                keys = list(probs)
                p = np.array([max(probs[k], 0.0) for k in keys])
                p /= p.sum()
                vals = np.zeros(len(keys))
                for lab, c in group:
                    qs = [j for j, q in enumerate(support) if lab[n - 1 - q] != "I"]
                    for i, k in enumerate(keys):
                        bits = [int(k[len(k) - 1 - (off + j)]) for j in qs]
                        vals[i] += c * np.prod([w[j][b] for j, b in zip(qs, bits)])
                if shots is None:
                    total += float(p @ vals)
                else:
                    draws = rng.multinomial(int(shots), p)
                    est = float(draws @ vals) / shots
                    total += est
                    var += float(p @ vals**2 - (p @ vals) ** 2) / shots
            std = float(np.sqrt(var)) if shots is not None else 0.0
            history.append({"value": total, "std_error": std, "shots": shots, "compiled": compiled_list})
            return total

        execute.__annotations__["return"] = float

    else:
        from mitiq import MeasurementResult

        def execute(circuit) -> MeasurementResult:  # type: ignore[misc]
            qc = _to_qiskit(circuit)
            meas = [(qc.find_bit(i.qubits[0]).index, qc.find_bit(i.clbits[0]).index)
                    for i in qc.data if i.operation.name == "measure"]
            if not meas:
                raise QpuTwinError("twin_executor (bitstring mode): the circuit measures nothing")
            probs, phys, compiled = _run(qc)
            rng = np.random.default_rng(ss.spawn(1)[0])
            keys = list(probs)
            p = np.array([max(probs[k], 0.0) for k in keys])
            p /= p.sum()
            idx = rng.choice(len(keys), size=int(shots), p=p)
            table = np.array([[int(k[len(k) - 1 - c]) for _, c in meas] for k in keys], dtype=np.int8)
            bitstrings = table[idx].tolist()
            history.append({"shots": shots, "compiled": compiled})
            return MeasurementResult(bitstrings, qubit_indices=tuple(q for q, _ in meas))

        execute.__annotations__["return"] = MeasurementResult  # mitiq reads the type, not the string

    execute.layout = state["layout"]
    execute.history = history
    execute.twin = twin
    return execute


_TWIRLED_BUILDERS: dict = {}


def _gate_object(name: str, params=()):
    """The Qiskit gate of a native gate name (standard library, or qpu_twin's Google gates)."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    from ..compile.native_gates import CUSTOM_GATES

    std = get_standard_gate_name_mapping()
    if name in std:
        op = std[name]
        return op.__class__(*params) if params else op
    if name in CUSTOM_GATES:
        return CUSTOM_GATES[name]()
    raise QpuTwinError(f"gate name {name!r} has no Qiskit gate")


class _Probs:
    def __init__(self, probabilities):
        self.probabilities = probabilities


def _run_twirled(twin, compiled, noise):
    """Exact distribution of ``compiled`` with every gate's noise Pauli-twirled."""
    from ..engines import get_engine

    key = (twin.profile.fingerprint,) + twin.builder(noise).options.key()
    builders = _TWIRLED_BUILDERS
    if key not in builders:
        if len(builders) > 8:
            builders.clear()
        builders[key] = _twirled_builder(twin.profile, twin.builder(noise).options)
    sched = twin.schedule(compiled, transpile=False)
    eng = get_engine("density_matrix", max_memory_bytes=twin.max_memory_bytes)
    eng.check_size(sched.num_active, mid_circuit_measurements=False)
    out = eng.run(builders[key].program(sched))
    return _Probs(out.probabilities)


def _twirled_builder(profile, options):
    """A NoiseBuilder whose gate maps are N_T o U (exactly Pauli-twirled noise)."""
    from ..noise import channels as ch
    from ..noise.builder import NoiseBuilder, gate_unitary

    class _Twirled(NoiseBuilder):
        def gate_map(self, name, qubits, *, params=(), operation=None, duration_ns=None):
            s = super().gate_map(name, qubits, params=params, operation=operation, duration_ns=duration_ns)
            key = ("twirled", name, tuple(qubits), tuple(round(float(p), 12) for p in params), duration_ns)
            hit = self.__dict__.setdefault("_twirl_cache", {}).get(key)
            if hit is not None:
                return hit
            if operation is None:
                operation = _gate_object(name, params)
            u = ch.unitary_superop(gate_unitary(operation))
            out = pauli_twirl_superop(s @ u.conj().T) @ u
            self._twirl_cache[key] = out
            return out

    return _Twirled(profile, options)


def pauli_twirl_superop(s: np.ndarray) -> np.ndarray:
    """The Pauli twirl (1/4^k) sum_P P N(P . P) P of a row-major superop on k qubits."""
    k = int(round(np.log2(s.shape[0]) / 2))
    paulis = _pauli_superops(k)
    d = 2**k
    fid = {lab: float(np.real(m.reshape(-1).conj() @ (s @ m.reshape(-1)))) / d for lab, (m, _) in paulis.items()}
    out = np.zeros_like(s, dtype=complex)
    for lab, (_, sp) in paulis.items():
        prob = sum((1.0 if _commute(lab, q) else -1.0) * fid[q] for q in paulis) / 4**k
        out += prob * sp
    return out


def _commute(a: str, b: str) -> bool:
    return sum(1 for x, y in zip(a, b) if x != "I" and y != "I" and x != y) % 2 == 0


def _fingerprint(qc) -> str:
    from qiskit import qasm2

    try:
        return qasm2.dumps(qc)
    except Exception:  # noqa: BLE001 - gates qasm2 cannot write: fall back to object identity
        return f"id:{id(qc)}"


def _confusion(twin, qubit: int, noise=None) -> np.ndarray:
    """Confusion matrix A[recorded, true] of a physical qubit at the twin's noise setting."""
    p10, p01 = twin.builder(noise).readout(qubit)
    return np.array([[1 - p10, p01], [p10, 1 - p01]])


def inverse_confusion_matrix(twin, qubits: Sequence[int], *, noise=None) -> np.ndarray:
    """Tensored inverse confusion matrix of physical ``qubits`` for ``mitiq.rem.execute_with_rem``.

    Ordering follows mitiq: the first qubit is the most significant bit of the
    probability-vector index (bitstring position 0).
    """
    from functools import reduce

    mats = [np.linalg.inv(_confusion(twin, int(q), noise)) for q in qubits]
    return reduce(np.kron, mats)


# ---------------------------------------------------------------------- PEC
def _pauli_superops(k: int):
    from ..noise import channels as ch

    mats = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]),
            "Z": np.diag([1.0, -1.0])}
    out = {}
    for labs in itertools.product("IXYZ", repeat=k):
        lab = "".join(labs)  # lab[j] acts on local qubit j
        m = np.array([[1.0 + 0j]])
        for j in reversed(range(k)):
            m = np.kron(m, mats[lab[j]])
        out[lab] = (m, ch.unitary_superop(m))
    return out


def gate_pauli_fidelities(twin, name: str, qubits: Sequence[int], *, params=(), noise=None) -> dict[str, float]:
    """Pauli fidelities of the twin's noise after native gate ``name`` on physical ``qubits``.

    Keys are strings with character j acting on ``qubits[j]`` (not Qiskit's reversed labels).
    """
    from ..noise import channels as ch
    from ..noise.builder import gate_unitary

    b = twin.builder(noise)
    op = _gate_object(name, params)
    s = b.gate_map(name, qubits, params=params, operation=op)
    u = ch.unitary_superop(gate_unitary(op))
    n_sup = s @ u.conj().T
    k = len(qubits)
    d = 2**k
    out = {}
    for lab, (m, _) in _pauli_superops(k).items():
        vec = m.reshape(-1)
        out[lab] = float(np.real(vec.conj() @ (n_sup @ vec))) / d
    return out


def pauli_inverse_quasi_probabilities(fidelities: dict[str, float]) -> dict[str, float]:
    """eta_P of the inverse of the Pauli channel with these fidelities (sum eta_P = 1)."""
    labs = list(fidelities)
    k = len(labs[0])
    out = {}
    for p in labs:
        out[p] = sum((1.0 if _commute(p, q) else -1.0) / fidelities[q] for q in labs) / 4**k
    return out


def pec_representations(twin, circuit, *, layout: Sequence[int], noise=None, include_1q: bool = True) -> list:
    """mitiq ``OperationRepresentation`` for every noisy native gate of ``circuit``.

    Parameters
    ----------
    twin : Twin
    circuit : cirq.Circuit or QuantumCircuit
        Written in the device's native gates on virtual qubits (what the
        executor runs at ``optimization_level=0``: each gate maps 1:1; for
        Cirq, virtual qubit i is the i-th of the sorted qubits). The
        representations are of the same type. Prefer Cirq circuits for PEC:
        mitiq converts every sampled Qiskit operation through Cirq's QASM
        parser (~30 ms each).
    layout : sequence of int
        Physical qubit of each virtual qubit: the same as the executor's.
    include_1q : bool
        Also represent single-qubit gates (their error is ~10x smaller).

    Returns
    -------
    list of mitiq.pec.OperationRepresentation
        Ideal gate = sum_P eta_P (noisy gate, then Pauli P); see the module docstring.
    """
    from mitiq.pec import NoisyOperation, OperationRepresentation
    from qiskit import QuantumCircuit

    layout = [int(q) for q in layout]
    prof = twin.profile
    is_qiskit = isinstance(circuit, QuantumCircuit)
    if is_qiskit:
        items = []
        for inst in circuit.data:
            vq = tuple(circuit.find_bit(q).index for q in inst.qubits)
            items.append((inst.operation, vq, None))
    else:
        import cirq

        qubits = sorted(circuit.all_qubits())
        index = {q: i for i, q in enumerate(qubits)}
        items = []
        for op in circuit.all_operations():
            if cirq.is_measurement(op):
                continue
            vq = tuple(index[q] for q in op.qubits)
            one = _to_qiskit(cirq.Circuit(op.transform_qubits(lambda q: cirq.LineQubit(index[q]))))
            ops = [i for i in one.data if i.operation.name != "barrier"]
            if len(ops) != 1:
                raise QpuTwinError(f"pec_representations: {op} is not one native gate of {prof.name} "
                                   f"(converts to {[i.operation.name for i in ops]})")
            items.append((ops[0].operation, vq, op))
    seen = set()
    reps = []
    for qop, vq, cop in items:
        name = qop.name
        if name in ("measure", "barrier", "delay", "reset"):
            continue
        pq = tuple(layout[q] for q in vq)
        params = tuple(float(p) for p in qop.params)
        key = (name, vq, params)
        if key in seen:
            continue
        seen.add(key)
        if not prof.has_gate(name, pq):
            raise QpuTwinError(
                f"pec_representations: {name}{vq} (physical {pq}) is not a native gate of {prof.name}; "
                f"write the circuit in native gates ({', '.join(prof.native_gates)})"
            )
        g = prof.gate(name, pq)
        if g.duration_ns == 0 or (len(vq) == 1 and not include_1q):
            continue
        eta = pauli_inverse_quasi_probabilities(gate_pauli_fidelities(twin, name, pq, params=params, noise=noise))
        noisy_ops, coeffs = [], []
        if is_qiskit:
            ideal = QuantumCircuit(circuit.num_qubits)
            ideal.append(qop, list(vq))
        else:
            ideal = cirq.Circuit(cop)
        for lab, c in eta.items():
            if is_qiskit:
                nc = ideal.copy()
                for j, ch_ in enumerate(lab):
                    if ch_ != "I":
                        getattr(nc, _PAULI_GATES[ch_])(vq[j])
            else:
                paulis = {"X": cirq.X, "Y": cirq.Y, "Z": cirq.Z}
                nc = cirq.Circuit(cop, *[paulis[ch_](cop.qubits[j]) for j, ch_ in enumerate(lab) if ch_ != "I"])
            noisy_ops.append(NoisyOperation(nc))
            coeffs.append(float(c))
        reps.append(OperationRepresentation(ideal, noisy_ops, coeffs))
    return reps
