"""Leakage (issue #14 item 4): the twin's flag representation equals a direct 3-level QuTiP integration.

The reference below is written independently of ``qpu_twin.noise.leakage``: each
qubit is a QuTiP qutrit, every scheduled op of ``Twin.schedule`` is integrated
with ``qutip.mesolve`` (tight tolerances) on the full 3^n space, the gate's
Hamiltonian acts only on the computational block of its qutrits, T1 / T_phi act
on the computational levels, the leaked level |2> decays to |1> (seepage), and
after a gate that acted the depolarizing top-up (on the computational block)
and the leakage jumps |1> -> |2> follow. Terminal readout: a leaked qutrit reads 1.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import qutip
import scipy.linalg
from qiskit import QuantumCircuit

from qpu_twin import DeviceProfile, Twin
from qpu_twin.noise import channels as ch


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _leaky_profile(base: DeviceProfile, leak: float = 0.03, lifetime_us: float | None = 4.0) -> DeviceProfile:
    d = base.to_dict()
    for g in d["gates"]:
        if g["name"] == "cx":
            g["leakage_prob"] = leak
    for q in d["qubits"]:
        if lifetime_us is not None:
            q["leakage_lifetime_us"] = lifetime_us
    d["crosstalk"] = {}
    d["name"] = "line5_leaky"
    return DeviceProfile.model_validate(d)


# ---------------------------------------------------------------- the 3-level reference
def _embed(ops: dict[int, qutip.Qobj], n: int) -> qutip.Qobj:
    """Tensor product over n qutrits (qutrit 0 last, as Qiskit's little-endian order), identity elsewhere."""
    return qutip.tensor([ops.get(q, qutip.qeye(3)) for q in reversed(range(n))])


def _comp_projector(qubits, n):
    p = qutip.Qobj(np.diag([1.0, 1.0, 0.0]))
    return _embed({q: p for q in qubits}, n)


def _gate_hamiltonian(u: np.ndarray, duration: float, qubits, n) -> qutip.Qobj:
    """H = i log(U)/T on the computational block of ``qubits`` (zero wherever one of them is in |2>)."""
    h = 1j * scipy.linalg.logm(u) / duration
    h = 0.5 * (h + h.conj().T)
    k = len(qubits)
    # map the k-qubit (little-endian) matrix onto the k qutrits' computational levels
    big = np.zeros((3**k, 3**k), dtype=complex)
    for a, b in itertools.product(range(2**k), repeat=2):
        ia = sum(((a >> j) & 1) * 3**j for j in range(k))
        ib = sum(((b >> j) & 1) * 3**j for j in range(k))
        big[ia, ib] = h[a, b]
    # big is over qutrits ordered (q_{k-1} ... q_0) in base 3 with qubits[j] <-> digit j; embed in n qutrits
    full = np.zeros((3**n, 3**n), dtype=complex)
    for i, j in itertools.product(range(3**n), repeat=2):
        di = [(i // 3**q) % 3 for q in range(n)]
        dj = [(j // 3**q) % 3 for q in range(n)]
        if any(di[q] != dj[q] for q in range(n) if q not in qubits):
            continue
        ia = sum(di[qb] * 3**jj for jj, qb in enumerate(qubits))
        ib = sum(dj[qb] * 3**jj for jj, qb in enumerate(qubits))
        full[i, j] = big[ia, ib]
    return qutip.Qobj(full, dims=[[3] * n, [3] * n])


def _collapse(profile, n, seep: bool = True):
    out = []
    sm = qutip.Qobj(np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]], dtype=complex))  # |0><1|
    z = qutip.Qobj(np.diag([1.0, -1.0, 0.0]).astype(complex))
    lift = qutip.Qobj(np.array([[0, 0, 0], [0, 0, 1], [0, 0, 0]], dtype=complex))  # |1><2|
    for q in range(n):
        qb = profile.qubit(q)
        t1, t2 = qb.t1_us * 1e3, qb.t2_us * 1e3
        out.append(math.sqrt(1 / t1) * _embed({q: sm}, n))
        rate_phi = 1 / t2 - 0.5 / t1
        if rate_phi > 0:
            out.append(math.sqrt(rate_phi / 2) * _embed({q: z}, n))
        if seep and qb.leakage_lifetime_us:
            out.append(math.sqrt(1 / (qb.leakage_lifetime_us * 1e3)) * _embed({q: lift}, n))
    return out


def _evolve(rho, h, c_ops, duration):
    if duration <= 0:
        return rho
    opts = {"atol": 1e-13, "rtol": 1e-11, "nsteps": 100000}
    return qutip.mesolve(h, rho, [0.0, duration], c_ops, options=opts).states[-1]


def _depolarize_comp(rho_c: qutip.Qobj, p: float, qubits, n) -> qutip.Qobj:
    """(1 - p) rho + p Tr_qubits(rho) (x) I/4 on the computational block of ``qubits`` (block-diagonal input)."""
    if p == 0:
        return rho_c
    # twirl over the Pauli group of the computational levels: sum_P P rho P / 4^k = Tr_k(rho) (x) I/2^k
    paulis = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1, -1])]
    acc = 0 * rho_c
    for combo in itertools.product(paulis, repeat=len(qubits)):
        ops = {}
        for q, pm in zip(qubits, combo):
            m3 = np.zeros((3, 3), dtype=complex)
            m3[:2, :2] = pm
            ops[q] = qutip.Qobj(m3)
        op = _embed(ops, n)
        acc = acc + op * rho_c * op.dag()
    return (1 - p) * rho_c + p * acc / 4 ** len(qubits)


def _jump(rho: qutip.Qobj, leak: float, q: int, n: int) -> qutip.Qobj:
    k1 = math.sqrt(leak) * _embed({q: qutip.Qobj(np.array([[0, 0, 0], [0, 0, 0], [0, 1, 0]], dtype=complex))}, n)
    k0 = _embed({q: qutip.Qobj(np.diag([1.0, math.sqrt(1 - leak), 1.0]).astype(complex))}, n)
    return k0 * rho * k0.dag() + k1 * rho * k1.dag()


def three_level_reference(twin: Twin, qc: QuantumCircuit) -> dict[str, float]:
    """Terminal-measurement distribution of ``qc`` (native, on qubits 0..n-1) from the 3-level model."""
    prof = twin.profile
    sched = twin.schedule(qc, transpile=False)
    n = max(sched.active_qubits) + 1
    assert tuple(sched.active_qubits) == tuple(range(n))
    rho = qutip.tensor([qutip.fock_dm(3, 0)] * n)
    c_all = _collapse(prof, n)
    zero_h = 0 * _embed({}, n)
    from qiskit.circuit.library import get_standard_gate_name_mapping

    meas = [(op.qubits[0], op.clbits[0]) for op in sched.ops if op.kind == "measure"]
    assert all(op.kind in ("gate", "idle", "delay", "measure") for op in sched.ops)
    # integrate op by op on a common time axis: every qutrit relaxes all the time; during a gate its
    # Hamiltonian acts on the computational block. The test circuits separate gates by barriers.
    events = sorted((op for op in sched.ops if op.kind == "gate" and op.duration_ns > 0), key=lambda o: o.start_ns)
    for a, b in zip(events, events[1:]):
        assert b.start_ns >= a.end_ns - 1e-9, "the reference needs gates that do not overlap in time"
    t_meas = {op.start_ns for op in sched.ops if op.kind == "measure"}
    assert len(t_meas) == 1, "the reference reads all qubits at one time"
    t = 0.0
    for op in events:
        rho = _evolve(rho, zero_h, c_all, op.start_ns - t)
        qubits = list(op.qubits)
        u = np.asarray(op.operation.to_matrix()) if op.operation is not None else \
            get_standard_gate_name_mapping()[op.name].to_matrix()
        h = _gate_hamiltonian(u, op.duration_ns, qubits, n)
        p_comp = _comp_projector(qubits, n)
        rho_c = p_comp * rho * p_comp  # no qutrit of the gate leaked at its start: top-up and jumps follow
        rho_l = rho - rho_c
        # the Hamiltonian acts on the computational block whenever the qutrits are in it (also after a
        # leaked qutrit seeps back during the gate)
        rho_c = _evolve(rho_c, h, c_all, op.duration_ns)
        rho_l = _evolve(rho_l, h, c_all, op.duration_ns)
        gate = prof.gate(op.name, op.qubits)
        # top-up to the stated error: computed from the qubit-space Lindblad map of the gate (decoherence only)
        if gate.error:
            k = len(qubits)
            sub = Twin(prof, noise={"level": "lindblad", "gate_error": False, "leakage": False})
            s_dec = sub.noise_map(op.name, qubits, form="matrix")
            r_dec = 1 - ch.average_gate_fidelity(s_dec, u)
            d = 2**k
            p = (gate.error - r_dec) / ((1 - 1 / d) - r_dec) if gate.error > r_dec else 0.0
            rho_c = _depolarize_comp(rho_c, p, qubits, n)
        if gate.leakage_prob:
            for q in qubits:
                rho_c = _jump(rho_c, gate.leakage_prob, q, n)
        rho = rho_c + rho_l
        t = op.end_ns
    rho = _evolve(rho, zero_h, c_all, t_meas.pop() - t)
    # terminal readout: populations of the 3^n levels; |2> reads 1; the profile's assignment errors
    pops = np.real(np.diag(rho.full()))
    nc = qc.num_clbits
    out: dict[str, float] = {}
    for idx, p in enumerate(pops):
        digits = [(idx // 3**q) % 3 for q in range(n)]  # qutrit q is tensor factor n-1-q: base-3 digit q
        actual = {q: 1 if digits[q] >= 1 else 0 for q in range(n)}
        for rec in itertools.product((0, 1), repeat=len(meas)):
            w = p
            for (q, c), r in zip(meas, rec):
                qb = prof.qubit(q)
                p10, p01 = qb.prob_meas1_prep0, qb.prob_meas0_prep1
                a = actual[q]
                w *= (1 - p10 if r == 0 else p10) if a == 0 else (p01 if r == 0 else 1 - p01)
            key = 0
            for (q, c), r in zip(meas, rec):
                key |= r << c
            s = format(key, f"0{nc}b")
            out[s] = out.get(s, 0.0) + w
    return out


def _tv(p, q):
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


def _sequential(n: int, ops) -> QuantumCircuit:
    """A circuit whose ops are separated by barriers (one at a time), measured at the end."""
    qc = QuantumCircuit(n, n)
    for name, *args in ops:
        getattr(qc, name)(*args)
        qc.barrier()
    qc.measure(range(n), range(n))
    return qc


def _circuits():
    return [
        _sequential(2, [("x", 0), ("x", 1), ("cx", 0, 1), ("cx", 0, 1)]),
        _sequential(2, [("sx", 0), ("cx", 0, 1), ("delay", 3000, 0, "ns"), ("x", 0), ("cx", 0, 1)]),
        _sequential(3, [("x", 0), ("x", 1), ("cx", 0, 1), ("cx", 1, 2), ("x", 1), ("cx", 1, 2)]),
    ]


@pytest.mark.parametrize("lifetime", [4.0, None], ids=["seepage", "no-seepage"])
@pytest.mark.parametrize("index", range(3))
def test_flag_leakage_equals_three_level_qutip(line5_dict, index, lifetime):
    base = DeviceProfile.model_validate(line5_dict)
    prof = _leaky_profile(base, leak=0.05, lifetime_us=lifetime)
    twin = Twin(prof, noise={"level": "lindblad", "zz": False})
    qc = _circuits()[index]
    got = twin.run(qc, transpile=False)
    assert got.metadata["program"]["leakage_flags"]  # the flags are there
    ref = three_level_reference(twin, qc)
    assert _tv(got.probabilities, ref) < 1e-8
    # and leakage is a visible effect, 10^4 times the agreement tolerance (not a null test)
    no_leak = Twin(prof, noise={"level": "lindblad", "zz": False, "leakage": False}).run(qc, transpile=False)
    assert _tv(no_leak.probabilities, ref) > 1e-4


def test_leaked_qubit_reads_as_configured(line5_dict):
    base = DeviceProfile.model_validate(line5_dict)
    d = _leaky_profile(base, leak=0.5, lifetime_us=None).to_dict()
    for q in d["qubits"]:
        q["prob_meas1_prep0"] = 0.0
        q["prob_meas0_prep1"] = 0.0
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.cx(0, 1)  # control in |1> leaks with probability 1/2 after the gate
    qc.measure([0, 1], [0, 1])
    noise = {"level": "lindblad", "zz": False, "decoherence": False, "gate_error": False}
    reads1 = Twin(DeviceProfile.model_validate(d), noise=noise).run(qc, transpile=False)
    assert reads1.marginal([0]).get("1", 0.0) == pytest.approx(1.0, abs=1e-12)  # |1> and leaked both read 1
    for q in d["qubits"]:
        q["leaked_reads_as"] = 0
    reads0 = Twin(DeviceProfile.model_validate(d), noise=noise).run(qc, transpile=False)
    assert reads0.marginal([0]).get("0", 0.0) == pytest.approx(0.5, abs=1e-12)


def test_tensor_network_refuses_leakage(line5_dict):
    from qpu_twin import EngineError

    prof = _leaky_profile(DeviceProfile.model_validate(line5_dict))
    qc = _circuits()[0]
    with pytest.raises(EngineError, match="leakage"):
        Twin(prof, engine="tensor_network").run(qc, transpile=False)
