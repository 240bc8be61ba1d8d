"""NoiseBuilder.derive keeps exactly the cached maps whose inputs did not change.

Each kept map must equal the map a fresh builder of the changed profile
integrates (to 1e-15), each dropped map must differ from it (so nothing is
rebuilt needlessly), and the derived builder's programs equal a fresh
builder's.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qpu_twin import load_profile
from qpu_twin.compile.circuits import compile_circuit
from qpu_twin.compile.schedule import schedule_circuit
from qpu_twin.noise.builder import NoiseBuilder
from qpu_twin.noise.options import NoiseOptions
from qpu_twin.noise.program import Channel, Conditional
from qpu_twin.profiles.edit import ParameterRef, with_values

LINE5 = load_profile("line5")


def _circuit() -> QuantumCircuit:
    qc = QuantumCircuit(4, 4)
    qc.sx(0)
    qc.x(3)
    qc.cx(0, 1)
    qc.cx(2, 1)
    qc.delay(800, 2, unit="ns")
    qc.cx(2, 3)
    qc.sx(1)
    qc.measure(range(4), range(4))
    return qc


SCHEDULE = schedule_circuit(compile_circuit(_circuit(), LINE5, transpile=False), LINE5)


def _fresh_map(builder: NoiseBuilder, key: tuple) -> np.ndarray:
    if key[0] == "idle":
        return builder.idle_map(key[1], key[2])
    if key[0] == "zz":
        return builder.zz_map(key[1], key[2], key[4])
    if key[0] in ("gate-dec", "gate-raw"):  # a gate's decoherence-only map (dressed scheme; the integration
        from qiskit.circuit.library import get_standard_gate_name_mapping  # before the top-up to the error)

        from qpu_twin.noise.builder import gate_unitary

        _, name, qubits, params, duration = key[:5]
        op = get_standard_gate_name_mapping()[name]
        u = gate_unitary(op.__class__(*params) if params else op)
        return builder._lindblad_gate_map(name, qubits, u, duration, None, builder.profile.gate(name, qubits).coherent)
    _, _, name, qubits, params, duration = key
    return builder.gate_map(name, qubits, params=params, duration_ns=duration)


def _expected_kept(old_profile, new_profile, keys) -> set:
    """The documented rule, written out independently of the builder: idle maps depend on their
    qubit's (T1, T2); gate maps on the gate's entry and the (T1, T2) of its qubits; decoherence-only
    gate maps (the dressed ZZ scheme's, and every gate's integration before its top-up to the stated error)
    on the same except the gate's error; ZZ maps on the pair's zeta."""
    def relax(p, q):
        return p.qubit(q).t1_us, p.qubit(q).t2_us

    changed = {q for q in range(old_profile.num_qubits) if relax(old_profile, q) != relax(new_profile, q)}
    kept = set()
    for key in keys:
        if key[0] == "idle":
            ok = key[1] not in changed
        elif key[0] == "zz":
            ok = old_profile.zz_khz(key[1], key[2]) == new_profile.zz_khz(key[1], key[2])
        elif key[0] in ("gate-dec", "gate-raw"):  # decoherence only: the gate's coherent errors, not its error
            name, qubits = key[1], key[2]
            ok = not changed & set(qubits) and (old_profile.gate(name, qubits).coherent
                                                == new_profile.gate(name, qubits).coherent)
        else:
            name, qubits = key[2], key[3]
            ok = not changed & set(qubits) and old_profile.gate(name, qubits) == new_profile.gate(name, qubits)
        if ok:
            kept.add(key)
    return kept


def _channels(instrs):
    for ins in instrs:
        if isinstance(ins, Channel):
            yield ins
        elif isinstance(ins, Conditional):
            for body in ins.bodies:
                yield from _channels(body)


CHANGES = {
    "t1 of qubit 2": {ParameterRef("t1_us", (2,)): 70.0},
    "t2 of qubit 0": {ParameterRef("t2_us", (0,)): 60.0},
    "error of cx(0,1)": {ParameterRef("gate_error", ("cx", (0, 1))): 0.02},
    "over-rotation of sx on 1": {ParameterRef("overrotation", ("sx", (1,))): 0.02},
    "ZX error of cx(0,1)": {ParameterRef("zx_error_rad", ("cx", (0, 1))): 0.05},
    "readout of qubit 3 (no cached map)": {ParameterRef("p10", (3,)): 0.05},
    "ZZ of (2,3)": {ParameterRef("zz_khz", (2, 3)): -80.0},
}


#: the map kinds each static-ZZ scheme caches for SCHEDULE
SCHEME_KINDS = {"first_order": {"idle", "gate", "gate-raw", "zz"}, "dressed": {"idle", "gate", "gate-raw", "gate-dec", "zz"}}


@pytest.fixture(scope="module", params=list(SCHEME_KINDS))
def old(request):
    """A builder of line5 whose cache holds the circuit's maps (derive only reads it), per ZZ scheme."""
    from qpu_twin.noise import cache as nc

    saved, nc._SHARED = nc._SHARED, nc.MapCache(10**8)  # integrated here, not found in the process-wide store
    try:
        b = NoiseBuilder(LINE5, NoiseOptions(zz_scheme=request.param))
        b.program(SCHEDULE)
    finally:
        nc._SHARED = saved
    return b


@pytest.mark.parametrize("change", list(CHANGES))
def test_derive_keeps_exactly_the_unaffected_maps(old, change):
    opts = old.options
    keys = set(old._cache)
    assert {k[0] for k in keys} == SCHEME_KINDS[opts.zz_scheme] and len(keys) >= 8

    new_profile = with_values(LINE5, CHANGES[change])
    derived = old.derive(new_profile)
    fresh = NoiseBuilder(new_profile, opts)
    kept = set(derived._cache)
    expected = _expected_kept(LINE5, new_profile, keys)
    assert kept == expected
    if "no cached map" in change:
        assert kept == keys  # nothing that is cached depends on it
    else:
        assert 0 < len(kept) < len(keys)
    for key in keys:
        want = _fresh_map(fresh, key)
        if key in kept:
            assert derived._cache[key] is old._cache[key]  # reused, not rebuilt
            assert np.max(np.abs(want - old._cache[key])) <= 1e-15, key
        else:
            assert np.max(np.abs(want - old._cache[key])) > 1e-9, key  # dropping it was necessary

    # and the derived builder's program is the fresh builder's
    a, b = derived.program(SCHEDULE), fresh.program(SCHEDULE)
    ca, cb = list(_channels(a.instructions)), list(_channels(b.instructions))
    assert [c.qubits for c in ca] == [c.qubits for c in cb]
    assert max(np.max(np.abs(x.superop - y.superop)) for x, y in zip(ca, cb)) <= 1e-15
    assert [(m.p10, m.p01) for m in a.terminal] == [(m.p10, m.p01) for m in b.terminal]


def test_derive_for_another_device_keeps_nothing(old):
    other = load_profile("ibm_hanoi")
    assert old.derive(other)._cache == {}
