"""Device-aware benchmark circuits."""

from __future__ import annotations

from collections import deque

import numpy as np
from qiskit import QuantumCircuit

from .errors import (ArgumentError, CompileError, check_bool, check_choice, check_int, check_qubits, check_sequence,
                     check_str, short_repr)
from .profiles.store import load_profile
from .profiles.model import DeviceProfile

__all__ = ["MAX_CIRCUIT_QUBITS", "brickwork", "edge_rounds", "ghz", "ghz_on_device", "hardware_efficient",
           "live_graph"]

#: Largest circuit width the circuit builders accept (wider than any device a twin can simulate).
MAX_CIRCUIT_QUBITS = 10_000
#: Largest number of layers :func:`hardware_efficient` builds.
MAX_LAYERS = 10**6


def ghz(n: int, *, measure: bool = True, name: str | None = None) -> QuantumCircuit:
    """The logical GHZ chain H(0), CX(i, i+1); measured into n bits unless ``measure=False``."""
    n = check_int("n", n, minimum=1, maximum=MAX_CIRCUIT_QUBITS)
    check_bool("measure", measure)
    check_str("name", name, allow_none=True)
    qc = QuantumCircuit(n, n if measure else 0, name=name or f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    if measure:
        qc.measure(range(n), range(n))
    return qc


def live_graph(profile: DeviceProfile) -> dict[int, set[int]]:
    """Undirected graph of operational qubits joined by operational two-qubit gates."""
    profile = load_profile(profile)
    adj: dict[int, set[int]] = {q.index: set() for q in profile.qubits if q.operational}
    for g in profile.gates:
        if len(g.qubits) == 2 and g.operational:
            a, b = g.qubits
            if a in adj and b in adj:
                adj[a].add(b)
                adj[b].add(a)
    return adj


def ghz_on_device(profile: DeviceProfile | str, n: int, *, root: int | None = None,
                  measure: bool = True) -> QuantumCircuit:
    """An n-qubit GHZ circuit laid out as a breadth-first CNOT tree on the device's live coupling graph.

    The circuit acts on physical qubit indices (width = device size), needs no
    routing, and has depth ~ log(n) on heavy-hex lattices. Classical bit k
    holds the k-th qubit added to the tree (bit 0 = the root).
    """
    prof = load_profile(profile)
    n = check_int("n", n, minimum=1)
    root = check_int("root", root, minimum=0, maximum=prof.num_qubits - 1, allow_none=True)
    check_bool("measure", measure)
    adj = live_graph(prof)
    if root is not None and root not in adj:
        raise CompileError(f"root={root}: qubit {root} is not operational on {prof.name}")
    if root is None:  # the most central live qubit: smallest eccentricity
        best = None
        for r in sorted(adj):
            dist = _bfs(adj, r)
            if len(dist) >= n:
                ecc = sorted(dist.values())[n - 1]
                if best is None or ecc < best[0]:
                    best = (ecc, r)
        if best is None:
            raise CompileError(f"n={n}: {prof.name} has no connected set of {n} operational qubits")
        root = best[1]
    order, parent = [root], {root: None}
    queue = deque([root])
    while queue and len(order) < n:
        q = queue.popleft()
        for nb in sorted(adj[q]):
            if nb not in parent and len(order) < n:
                parent[nb] = q
                order.append(nb)
                queue.append(nb)
    if len(order) < n:
        raise CompileError(f"n={n}: {prof.name} has only {len(order)} connected operational qubits from root {root}, "
                           f"need {n}")
    qc = QuantumCircuit(prof.num_qubits, n if measure else 0, name=f"ghz{n}_{prof.name}")
    qc.h(root)
    for q in order[1:]:
        qc.cx(parent[q], q)
    if measure:
        qc.barrier(order)
        qc.measure(order, range(n))
    return qc


def hardware_efficient(profile: DeviceProfile | str, layers: int, *, seed: int = 0, measure: bool = True,
                       entanglement: str = "tree") -> QuantumCircuit:
    """A hardware-efficient ansatz on every live qubit.

    Per layer: random RY and RZ on all live qubits, then CNOTs on device edges:
    ``entanglement="tree"`` (default) uses the edges of a depth-first spanning
    tree of the live coupling graph (n-1 CNOTs per layer, no routing);
    ``"all"`` uses every live edge, grouped into conflict-free rounds (a 2D
    entangling layer: much harder for tensor networks).
    """
    from .seeding import check_seed

    prof = load_profile(profile)
    layers = check_int("layers", layers, minimum=0, maximum=MAX_LAYERS)
    check_bool("measure", measure)
    check_choice("entanglement", entanglement, ("tree", "all"))
    adj = live_graph(prof)
    rng = np.random.default_rng(check_seed(seed))
    # the largest connected component
    comps, seen = [], set()
    for q in sorted(adj):
        if q not in seen:
            comp = set(_bfs(adj, q))
            seen |= comp
            comps.append(comp)
    qubits = sorted(max(comps, key=len))
    if entanglement == "all":
        edges = sorted({tuple(sorted((a, b))) for a in qubits for b in adj[a]})
    elif entanglement == "tree":
        edges, visited = [], {qubits[0]}
        stack = [qubits[0]]
        while stack:  # iterative DFS
            q = stack[-1]
            nxt = next((nb for nb in sorted(adj[q]) if nb not in visited), None)
            if nxt is None:
                stack.pop()
                continue
            visited.add(nxt)
            edges.append((q, nxt))
            stack.append(nxt)
    else:
        raise CompileError(f"entanglement={entanglement!r}: use 'tree' or 'all'")
    rounds = edge_rounds(edges)
    qc = QuantumCircuit(prof.num_qubits, len(qubits) if measure else 0, name=f"hea{layers}_{prof.name}")
    for _ in range(layers):
        for q in qubits:
            qc.ry(float(rng.uniform(0, np.pi)), q)
            qc.rz(float(rng.uniform(0, 2 * np.pi)), q)
        for r in rounds:
            for a, b in r:
                qc.cx(a, b)
    if measure:
        qc.measure(qubits, range(len(qubits)))
    return qc



def edge_rounds(edges) -> list[list[tuple[int, int]]]:
    """``edges`` (pairs of distinct qubits) in rounds of disjoint pairs: greedy edge colouring, keeping the order.

    Each round is one layer of simultaneous two-qubit gates.
    """
    pairs = []
    for k, e in enumerate(check_sequence("edges", edges, what="pairs of qubits")):
        try:
            pairs.append(check_qubits(f"edges[{k}]", e, length=2))
        except ArgumentError as exc:
            raise ArgumentError(f"edges={short_repr(edges)}: {exc}") from None
    edges = pairs
    rounds: list[list[tuple[int, int]]] = []
    for e in edges:
        for r in rounds:
            if all(not set(e) & set(f) for f in r):
                r.append(e)
                break
        else:
            rounds.append([e])
    return rounds


def brickwork(n: int, layers: int, seed: int) -> QuantumCircuit:
    """Random single-qubit ``u`` rotations then cx on alternating neighbour pairs (0-1, 2-3, ... then 1-2, ...), measured.

    Logical qubits 0..n-1 in a line; ``seed`` fixes the angles (numpy ``default_rng``).
    """
    from .seeding import check_seed

    n = check_int("n", n, minimum=1, maximum=MAX_CIRCUIT_QUBITS)
    layers = check_int("layers", layers, minimum=0, maximum=MAX_LAYERS)
    rng = np.random.default_rng(check_seed(seed))
    qc = QuantumCircuit(n, n)
    for layer in range(layers):
        for q in range(n):
            qc.u(*rng.uniform(0, 2 * np.pi, 3), q)
        for a in range(layer % 2, n - 1, 2):
            qc.cx(a, a + 1)
    qc.measure(range(n), range(n))
    return qc

def _bfs(adj, root):
    dist = {root: 0}
    queue = deque([root])
    while queue:
        q = queue.popleft()
        for nb in adj[q]:
            if nb not in dist:
                dist[nb] = dist[q] + 1
                queue.append(nb)
    return dist
