"""Sparse Pauli-Lindblad models of the twin's twirled two-qubit-gate layers.

What IBM's ``NoiseLearner`` measures on hardware, computed from the twin's
own channels: a local stand-in for layer-noise learning (PEA, PEC, noise
injection).

Definitions
-----------
* **Layers.** The native, physical circuit is split into layers of two-qubit
  gates: a gate joins the first layer after the last two-qubit gate on either
  of its qubits (ASAP). Single-qubit gates are not part of a layer.
* **Layer channel.** The layer acts on the circuit's active qubits (map qubit
  i = physical ``qubits[i]``) for T = the longest gate of the layer. Each gate
  is the twin's noisy map (``NoiseBuilder.gate_map``), preceded by idle decay
  over T - its duration (gates end together, as with ALAP); qubits without a
  gate get the twin's idle map over T; with ZZ on, coupled active pairs that
  are not a gate's own pair get the ZZ phase over T after the gates (the
  twin's first-order splitting). The noise channel is N = E o U^-1, with U the
  ideal layer unitary, so that E = N o U.
* **Twirl.** Pauli twirling turns N into the Pauli channel with the same Pauli
  fidelities f_Q = Tr(Q N(Q)) / 2^n (the diagonal of the Pauli transfer matrix).
* **Model.** A Pauli-Lindblad map exp(sum_P lambda_P (P . P - .)) has
  f_Q = exp(-2 sum_{P anticommuting with Q} lambda_P). ``model="sparse"``
  keeps the generators of IBM's sparse model (van den Berg et al., Nat. Phys.
  19, 1116 (2023)): every weight-1 Pauli and every weight-2 Pauli on a coupled
  pair of the layer's qubits; the rates solve the square system on exactly
  those Paulis' fidelities (reproduced to round-off). ``model="full"`` keeps
  all 4^n - 1 Paulis and reproduces every fidelity.

Exactness of the sparse model
-----------------------------
If the layer channel is a product of channels on gate pairs and single qubits
(ZZ off, or no ZZ between different gates' qubits), its log-fidelities are
sums of block terms and the sparse model reproduces *every* Pauli fidelity.
A coherent ZZ phase between two blocks does not commute with the blocks'
non-Pauli parts (amplitude damping, over-rotation); the twirl of the product
is then not the product of the twirls, and the sparse model misses
second-order cross terms (typically 1e-5..1e-4 on IBM devices). That error is
computed, not estimated: ``LayerNoise.max_fidelity_error`` is the largest
|f_model - f_exact| over every Pauli when the layer has at most
``DENSE_MAX_QUBITS`` qubits, otherwise over the weight-2 Paulis on pairs at
graph distance two (``checked_paulis`` says which). Use ``model="full"`` when
an exact model is needed (small layers only: 4^n generators).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from ..errors import QpuTwinError, check_choice
from . import channels as ch

#: Layers with at most this many qubits get every Pauli fidelity computed exactly.
DENSE_MAX_QUBITS = 5
#: ``model="full"`` is refused above this many qubits (4^n generators).
FULL_MAX_QUBITS = 6

_P1 = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}
_XZ_CHAR = {(0, 0): "I", (1, 0): "X", (1, 1): "Y", (0, 1): "Z"}


# ---------------------------------------------------------------------- Paulis as (x, z) bit masks
def _label(x: int, z: int, n: int) -> str:
    """Qiskit label (qubit 0 rightmost) of the Pauli with bit masks x, z."""
    return "".join(_XZ_CHAR[((x >> q) & 1, (z >> q) & 1)] for q in reversed(range(n)))


def _anticommute(x1, z1, x2, z2):
    """1 where the Paulis anticommute (works on numpy arrays of masks)."""
    v = np.bitwise_xor(np.bitwise_and(x1, z2), np.bitwise_and(z1, x2))
    out = np.zeros(np.shape(v), dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    while np.any(v):
        out ^= v & 1
        v = v >> 1
    return out


def _pauli_matrix(x: int, z: int, qubits: Sequence[int]) -> np.ndarray:
    """Matrix of a Pauli on the listed positions of a register of len(qubits) (little-endian)."""
    out = np.array([[1.0 + 0j]])
    for q in reversed(qubits):
        out = np.kron(out, _P1[_XZ_CHAR[((x >> q) & 1, (z >> q) & 1)]])
    return out


def _apply_batch(xs: np.ndarray, s: np.ndarray, pos: Sequence[int], m: int) -> np.ndarray:
    """Apply a row-major superop ``s`` on local positions ``pos`` to a batch of m-qubit operators."""
    k = len(pos)
    b = xs.shape[0]
    t = xs.reshape([b] + [2] * (2 * m))

    def row_ax(q):
        return 1 + (m - 1 - q)

    def col_ax(q):
        return 1 + m + (m - 1 - q)

    in_axes = [row_ax(pos[j]) for j in reversed(range(k))] + [col_ax(pos[j]) for j in reversed(range(k))]
    st = s.reshape([2] * (4 * k))
    out = np.tensordot(st, t, axes=(list(range(2 * k, 4 * k)), in_axes))
    out = np.moveaxis(out, list(range(2 * k)), in_axes)
    return out.reshape(b, 2**m, 2**m)


# ---------------------------------------------------------------------- layers of a circuit
@dataclass(frozen=True)
class _Gate:
    name: str
    qubits: tuple[int, ...]  # physical
    params: tuple[float, ...]
    operation: Any = field(compare=False, repr=False)


def split_layers(circuit) -> tuple[list[list[_Gate]], list[tuple[int, int]]]:
    """ASAP layers of the multi-qubit gates of a physical circuit.

    Returns ``(layers, where)``: ``layers[k]`` lists the gates of layer k, and
    ``where[i]`` is ``(layer, position)`` for instruction i of ``circuit.data``
    that is a multi-qubit gate (``(-1, -1)`` for the others).
    """
    stage: dict[int, int] = {}
    layers: list[list[_Gate]] = []
    where: list[tuple[int, int]] = []
    for inst in circuit.data:
        op = inst.operation
        qubits = tuple(circuit.find_bit(q).index for q in inst.qubits)
        if op.name in ("barrier", "measure", "reset", "delay") or len(qubits) < 2:
            where.append((-1, -1))
            continue
        if getattr(op, "blocks", None):
            raise QpuTwinError(f"layer noise: control flow ({op.name}) is not supported")
        k = max(stage.get(q, 0) for q in qubits)
        while len(layers) <= k:
            layers.append([])
        layers[k].append(_Gate(op.name, qubits, tuple(float(p) for p in op.params), op))
        where.append((k, len(layers[k]) - 1))
        for q in qubits:
            stage[q] = k + 1
    return layers, where


def active_qubits(circuit) -> tuple[int, ...]:
    used: set[int] = set()
    for inst in circuit.data:
        if inst.operation.name in ("barrier", "delay"):
            continue
        used.update(circuit.find_bit(q).index for q in inst.qubits)
    return tuple(sorted(used))


# ---------------------------------------------------------------------- the layer channel
class _LayerChannel:
    """The noise channel N = E o U^-1 of one layer, as local blocks plus ZZ phases."""

    def __init__(self, builder, gates: list[_Gate], qubits: tuple[int, ...]):
        from .builder import gate_unitary

        self.qubits = qubits
        self.n = len(qubits)
        loc = {q: i for i, q in enumerate(qubits)}
        prof = builder.profile
        opts = builder.options
        durations = [float(prof.gate(g.name, g.qubits).duration_ns) for g in gates]
        self.duration_ns = max(durations) if durations else 0.0
        T = self.duration_ns
        self.blocks: list[tuple[tuple[int, ...], np.ndarray]] = []  # (local positions, superop)
        in_gate: set[int] = set()
        pairs: set[frozenset] = set()
        for g, d in zip(gates, durations):
            s = builder.gate_map(g.name, g.qubits, params=g.params, operation=g.operation)
            k = len(g.qubits)
            if T - d > 1e-9 and opts.idle_active:
                pre = np.eye(4**k, dtype=complex)
                for j, q in enumerate(g.qubits):
                    pre = ch.embed_superop(builder.idle_map(q, T - d), [j], k) @ pre
                s = s @ pre
            u = ch.unitary_superop(gate_unitary(g.operation))
            self.blocks.append((tuple(loc[q] for q in g.qubits), s @ u.conj().T))
            in_gate.update(g.qubits)
            if k == 2:
                pairs.add(frozenset(g.qubits))
        for q in qubits:
            if q not in in_gate:
                s = builder.idle_map(q, T) if opts.idle_active else np.eye(4, dtype=complex)
                self.blocks.append(((loc[q],), s))
        self.zz: list[tuple[tuple[int, int], np.ndarray]] = []
        if opts.zz_active and T > 0:
            for term in prof.crosstalk.zz:
                a, b = term.qubits
                if a in loc and b in loc and term.zz_khz != 0.0 and frozenset((a, b)) not in pairs:
                    self.zz.append(((loc[a], loc[b]), builder.zz_map(a, b, T)))
        self.block_of = {}
        for i, (pos, _) in enumerate(self.blocks):
            for p in pos:
                self.block_of[p] = i

    def region(self, support: set[int]) -> list[int]:
        """Local qubits whose channels can change the fidelity of a Pauli on ``support``."""
        near = set(support)
        for (a, b), _ in self.zz:
            if a in support or b in support:
                near.update((a, b))
        out: set[int] = set()
        for p in near:
            out.update(self.blocks[self.block_of[p]][0])
        return sorted(out)

    def fidelities(self, xs: np.ndarray, zs: np.ndarray, region: Sequence[int] | None = None) -> np.ndarray:
        """Pauli fidelities Tr(Q N(Q)) / 2^m of the Paulis (x, z masks over the layer's qubits).

        All Paulis must be supported in ``region`` (default: all qubits).
        """
        region = list(range(self.n)) if region is None else list(region)
        m = len(region)
        rpos = {q: i for i, q in enumerate(region)}
        # masks re-expressed on the region's positions
        ops = []
        for x, z in zip(xs, zs):
            xr = sum(((int(x) >> q) & 1) << i for q, i in rpos.items())
            zr = sum(((int(z) >> q) & 1) << i for q, i in rpos.items())
            if (int(x) | int(z)) & ~sum(1 << q for q in region):
                raise QpuTwinError("internal: Pauli outside its region")
            ops.append(_pauli_matrix(xr, zr, list(range(m))))
        q0 = np.array(ops)
        y = q0.copy()
        rset = set(region)
        for pos, s in self.blocks:
            if set(pos) <= rset:
                y = _apply_batch(y, s, [rpos[p] for p in pos], m)
            elif set(pos) & rset:
                raise QpuTwinError("internal: region cuts a block")
        for (a, b), s in self.zz:
            if a in rset and b in rset:
                y = _apply_batch(y, s, [rpos[a], rpos[b]], m)
        return np.real(np.einsum("bij,bij->b", q0.conj(), y)) / 2**m

    def fidelities_local(self, xs: np.ndarray, zs: np.ndarray) -> np.ndarray:
        """Like :meth:`fidelities`, each Pauli computed on its own (small) region."""
        out = np.empty(len(xs))
        groups: dict[tuple, list[int]] = {}
        for i, (x, z) in enumerate(zip(xs, zs)):
            sup = {q for q in range(self.n) if ((int(x) | int(z)) >> q) & 1}
            groups.setdefault(tuple(self.region(sup)), []).append(i)
        for reg, idx in groups.items():
            out[idx] = self.fidelities(xs[idx], zs[idx], reg)
        return out


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class LayerNoise:
    """The Pauli-Lindblad model of one twirled layer.

    Attributes
    ----------
    gates : tuple of (name, physical qubits)
        The layer's multi-qubit gates.
    qubits : tuple[int, ...]
        Physical qubits the map acts on: map (and ``circuit``) qubit i is ``qubits[i]``.
    duration_ns : float
        Length of the layer (its longest gate).
    model : {"sparse", "full"}
    pauli_lindblad_map : qiskit.quantum_info.PauliLindbladMap
        The model (rates in the qubit order above).
    circuit : QuantumCircuit
        The ideal layer on ``len(qubits)`` qubits.
    max_fidelity_error : float
        max |f_model - f_exact| over ``checked_paulis`` Paulis (see module docstring).
    support_error : float
        The same over the generators' own Paulis (round-off: the rates solve that system).
    checked : {"all", "distance-2 pairs"}
        Which Paulis ``max_fidelity_error`` covers.
    """

    gates: tuple[tuple[str, tuple[int, ...]], ...]
    qubits: tuple[int, ...]
    duration_ns: float
    model: str
    pauli_lindblad_map: Any = field(repr=False)
    circuit: Any = field(repr=False)
    max_fidelity_error: float
    support_error: float
    checked_paulis: int
    checked: str
    min_rate: float

    @property
    def num_qubits(self) -> int:
        return len(self.qubits)

    def pauli_fidelity(self, label: str) -> float:
        """Model fidelity of a Pauli given as a Qiskit label over the map's qubits (qubit 0 rightmost)."""
        from qiskit.quantum_info import QubitSparsePauli

        return float(self.pauli_lindblad_map.pauli_fidelity(QubitSparsePauli.from_label(label)))


@dataclass(frozen=True)
class LayerNoiseModel:
    """Per unique twirled layer of a circuit its :class:`LayerNoise` (a sequence of them).

    Attributes
    ----------
    circuit : QuantumCircuit
        The physical circuit the layers come from (as compiled by the twin).
    layers : tuple[LayerNoise, ...]
        One entry per *unique* layer (same gates on the same qubits).
    sequence : tuple[int, ...]
        For each layer of the circuit, in order, the index of its entry in ``layers``.
    """

    circuit: Any = field(repr=False)
    layers: tuple[LayerNoise, ...]
    sequence: tuple[int, ...]

    def __iter__(self) -> Iterator[LayerNoise]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> LayerNoise:
        return self.layers[i]

    @property
    def maps(self) -> list:
        """The ``PauliLindbladMap`` of each unique layer."""
        return [layer.pauli_lindblad_map for layer in self.layers]

    def layered_circuit(self, *, barriers: bool = False):
        """The physical circuit reordered as single-qubit segments and layers (same unitary).

        Every qubit keeps its sequence of operations; terminal measurements come
        after the last layer (every layer's map acts on every active qubit). A
        mid-circuit measurement stays before the next layer on its qubit, so
        later layers' maps act after it. ``barriers=True`` puts a
        barrier on the layer's qubits before and after each layer.
        (:func:`qpu_twin.interop.layer_noise.aer_noisy_circuit` adds the noise.)
        """
        return _layered_circuit(self, barriers=barriers)


def _generators(n: int, edges: list[tuple[int, int]], model: str) -> tuple[np.ndarray, np.ndarray]:
    if model == "full":
        xs, zs = [], []
        for v in range(1, 4**n):
            xs.append(v & (2**n - 1))
            zs.append(v >> n)
        return np.array(xs, dtype=np.int64), np.array(zs, dtype=np.int64)
    gens: list[tuple[int, int]] = []
    one = [(1, 0), (1, 1), (0, 1)]  # X, Y, Z
    for q in range(n):
        for x, z in one:
            gens.append((x << q, z << q))
    for a, b in edges:
        for (xa, za), (xb, zb) in itertools.product(one, one):
            gens.append(((xa << a) | (xb << b), (za << a) | (zb << b)))
    return np.array([g[0] for g in gens], dtype=np.int64), np.array([g[1] for g in gens], dtype=np.int64)


def _check_set(n: int, edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Weight-2 Paulis on pairs at graph distance 2 (the check set of large layers)."""
    adj: dict[int, set[int]] = {q: set() for q in range(n)}
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    pairs = set()
    for q in range(n):
        for r in adj[q]:
            for s in adj[r]:
                if s != q and s not in adj[q]:
                    pairs.add((min(q, s), max(q, s)))
    one = [(1, 0), (1, 1), (0, 1)]
    xs, zs = [], []
    for a, b in sorted(pairs):
        for (xa, za), (xb, zb) in itertools.product(one, one):
            xs.append((xa << a) | (xb << b))
            zs.append((za << a) | (zb << b))
    return np.array(xs, dtype=np.int64), np.array(zs, dtype=np.int64)


def layer_noise_of(channel: _LayerChannel, edges: list[tuple[int, int]], model: str):
    """(rates, generator masks, max error, support error, checked count, checked kind, exact f)."""
    n = channel.n
    gx, gz = _generators(n, edges, model)
    f_gen = channel.fidelities(gx, gz) if n <= DENSE_MAX_QUBITS else channel.fidelities_local(gx, gz)
    if np.any(f_gen <= 0):
        i = int(np.argmin(f_gen))
        raise QpuTwinError(
            f"layer noise: Pauli {_label(int(gx[i]), int(gz[i]), n)} has fidelity {f_gen[i]:.3g} <= 0; "
            f"no Pauli-Lindblad model exists"
        )
    a = _anticommute(gx[:, None], gz[:, None], gx[None, :], gz[None, :]).astype(float)
    rates, *_ = np.linalg.lstsq(2.0 * a, -np.log(f_gen), rcond=None)
    f_fit = np.exp(-2.0 * a @ rates)
    support_error = float(np.max(np.abs(f_fit - f_gen)))
    if n <= DENSE_MAX_QUBITS:
        v = np.arange(1, 4**n, dtype=np.int64)
        cx, cz = v & (2**n - 1), v >> n
        f_exact = channel.fidelities(cx, cz)
        checked = "all"
    else:
        cx, cz = _check_set(n, edges)
        f_exact = channel.fidelities_local(cx, cz) if len(cx) else np.zeros(0)
        checked = "distance-2 pairs"
    if len(cx):
        b = _anticommute(cx[:, None], cz[:, None], gx[None, :], gz[None, :]).astype(float)
        f_model = np.exp(-2.0 * b @ rates)
        max_err = float(np.max(np.abs(f_model - f_exact)))
    else:
        max_err = 0.0
    return rates, gx, gz, max_err, support_error, len(cx), checked


def compute_layer_noise(builder, circuit, *, model: str = "sparse", qubits: Sequence[int] | None = None) -> LayerNoiseModel:
    """The :class:`LayerNoiseModel` of a native, physical circuit (see the module docstring).

    Parameters
    ----------
    builder : NoiseBuilder
        Supplies the twin's maps at its noise setting.
    circuit : QuantumCircuit
        Native and physical (as ``Twin.compile`` returns it).
    model : {"sparse", "full"}
    qubits : sequence of int, optional
        Physical qubits the maps act on (default: the circuit's active qubits).
    """
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import PauliLindbladMap

    check_choice("model", model, ("sparse", "full"))
    qs = tuple(active_qubits(circuit)) if qubits is None else tuple(int(q) for q in qubits)
    if model == "full" and len(qs) > FULL_MAX_QUBITS:
        raise QpuTwinError(
            f"layer_noise: model='full' has 4^n - 1 generators; the layer has n={len(qs)} qubits "
            f"(at most {FULL_MAX_QUBITS}); use model='sparse'"
        )
    layers, _ = split_layers(circuit)
    prof = builder.profile
    loc = {q: i for i, q in enumerate(qs)}
    for layer in layers:
        for g in layer:
            missing = [q for q in g.qubits if q not in loc]
            if missing:
                raise QpuTwinError(f"layer_noise: qubits={list(qs)} does not contain qubit(s) {missing} of {g.name}{g.qubits}")
    edges = sorted({(min(loc[a], loc[b]), max(loc[a], loc[b])) for a, b in prof.coupling_map if a in loc and b in loc})
    unique: dict[tuple, int] = {}
    out: list[LayerNoise] = []
    sequence: list[int] = []
    for layer in layers:
        key = tuple(sorted((g.name, g.qubits, tuple(round(p, 12) for p in g.params)) for g in layer))
        if key in unique:
            sequence.append(unique[key])
            continue
        chan = _LayerChannel(builder, layer, qs)
        rates, gx, gz, max_err, sup_err, n_checked, checked = layer_noise_of(chan, edges, model)
        n = len(qs)
        terms = []
        for x, z, r in zip(gx, gz, rates):
            sup = [q for q in range(n) if ((int(x) | int(z)) >> q) & 1]
            lab = "".join(_XZ_CHAR[((int(x) >> q) & 1, (int(z) >> q) & 1)] for q in sup)
            terms.append((lab, sup, float(r)))
        plm = PauliLindbladMap.from_sparse_list(terms, num_qubits=n)
        lc = QuantumCircuit(n, name="layer")
        for g in layer:
            lc.append(g.operation, [loc[q] for q in g.qubits])
        unique[key] = len(out)
        sequence.append(len(out))
        out.append(LayerNoise(
            gates=tuple((g.name, g.qubits) for g in layer),
            qubits=qs,
            duration_ns=chan.duration_ns,
            model=model,
            pauli_lindblad_map=plm,
            circuit=lc,
            max_fidelity_error=max_err,
            support_error=sup_err,
            checked_paulis=n_checked,
            checked=checked,
            min_rate=float(np.min(rates)) if len(rates) else 0.0,
        ))
    return LayerNoiseModel(circuit, tuple(out), tuple(sequence))


def _layered_circuit(model: LayerNoiseModel, *, barriers: bool):
    from qiskit import QuantumCircuit

    circ = model.circuit
    layers, where = split_layers(circ)
    nl = len(layers)
    segments: list[list] = [[] for _ in range(nl + 1)]
    stage: dict[int, int] = {}
    layer_insts: list[list] = [[] for _ in range(nl)]
    last_use: dict[int, int] = {}
    for i, inst in enumerate(circ.data):
        if inst.operation.name != "barrier":
            for q in inst.qubits:
                last_use[circ.find_bit(q).index] = i
    for i, (inst, (k, _)) in enumerate(zip(circ.data, where)):
        qubits = [circ.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "measure" and last_use.get(qubits[0]) == i:
            segments[nl].append(inst)  # terminal: after every layer (whose maps act on this qubit too)
            continue
        if k >= 0:
            layer_insts[k].append(inst)
            for q in qubits:
                stage[q] = k + 1
            continue
        if inst.operation.name == "barrier":
            continue
        segments[max([stage.get(q, 0) for q in qubits] + [0])].append(inst)
    out = QuantumCircuit(*circ.qregs, *circ.cregs, name=circ.name)
    for k in range(nl):
        for inst in segments[k]:
            out.append(inst)
        layer = model.layers[model.sequence[k]]
        if barriers:
            out.barrier(list(layer.qubits))
        for inst in layer_insts[k]:
            out.append(inst)
        if barriers:
            out.barrier(list(layer.qubits))
    for inst in segments[nl]:
        out.append(inst)
    return out


def generator_list(layer: LayerNoise) -> tuple[list[str], np.ndarray]:
    """(full Qiskit labels over the map's qubits, rates) of a layer's generators."""
    plm = layer.pauli_lindblad_map
    n = plm.num_qubits
    labels, rates = [], []
    for lab, idx, rate in plm.to_sparse_list():
        chars = ["I"] * n
        for c, q in zip(lab, idx):
            chars[n - 1 - q] = c
        labels.append("".join(chars))
        rates.append(float(np.real(rate)))
    return labels, np.array(rates, dtype=float)
