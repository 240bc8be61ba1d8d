"""The NoisyProgram: what an engine consumes, and nothing else.

A program acts on ``num_qubits`` *local* qubits (local i = physical
``active_qubits[i]``) and ``num_clbits`` classical bits. Instructions:

* :class:`Channel`: a CPTP map on a few local qubits, as a row-major
  superoperator (see :mod:`qpu_twin.noise.channels`).
* :class:`Measure`: a mid-circuit Z measurement with assignment errors; the
  engine branches on the recorded bit.
* :class:`Conditional`: classical feed-forward; one body runs per branch.

Measurements after which nothing touches their qubit or bit are *terminal*:
they are not branched on but read from the final state's diagonal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import numpy as np

from .channels import embed_superop


@dataclass(frozen=True, eq=False)
class Channel:
    qubits: tuple[int, ...]
    superop: np.ndarray
    label: str = ""
    diagonal: bool = False  # a diagonal unitary (ZZ phase): commutes with Z measurements
    post_measure: bool = False  # decay of a just-measured qubit: dropped if the measurement is terminal


@dataclass(frozen=True)
class Measure:
    qubit: int
    clbit: int
    p10: float  # p(1|0)
    p01: float  # p(0|1)
    label: str = ""
    #: local index of the qubit's leakage flag (``qpu_twin.noise.leakage``), if it can leak
    flag: int | None = None
    #: what a leaked qubit reads as (its assignment errors are those of that value)
    leaked_reads: int = 1

    @property
    def qubits(self) -> tuple[int, ...]:
        return (self.qubit,) if self.flag is None else (self.qubit, self.flag)


@dataclass(frozen=True, eq=False)
class Conditional:
    clbits: tuple[int, ...]
    value: int
    true_body: tuple
    false_body: tuple
    label: str = ""

    def holds(self, key: int) -> bool:
        v = 0
        for j, b in enumerate(self.clbits):
            v |= ((key >> b) & 1) << j
        return v == self.value


Instruction = Union[Channel, Measure, Conditional]


@dataclass(frozen=True, eq=False)
class NoisyProgram:
    """What an engine runs.

    ``readout_pairs`` are joint assignment matrices for pairs of *terminal*
    measurements (indices into ``terminal``) read out together: they replace the
    two measurements' own assignment errors (``matrix[r][a]`` = P(recorded r |
    actual a), r, a = 2 b_i + b_j for terminal measurements i, j).
    """

    num_qubits: int
    num_clbits: int
    active_qubits: tuple[int, ...]
    instructions: tuple
    terminal: tuple[Measure, ...]
    metadata: dict = field(default_factory=dict)
    readout_pairs: tuple[tuple[int, int, np.ndarray], ...] = ()

    @property
    def num_channels(self) -> int:
        return _count(self.instructions)


def _count(instrs) -> int:
    n = 0
    for ins in instrs:
        if isinstance(ins, Conditional):
            n += _count(ins.true_body) + _count(ins.false_body)
        elif isinstance(ins, Channel):
            n += 1
    return n


# ---------------------------------------------------------------------- terminal measurements
def split_terminal(instrs: list) -> tuple[list, list[Measure]]:
    """Move measurements that nothing later depends on out of the instruction list.

    A top-level measurement of qubit q into bit c is terminal if no later
    instruction acts on q (diagonal ZZ phases commute with the Z measurement
    and do not count) and no later instruction reads or writes c.
    """
    terminal: list[Measure] = []
    keep = [True] * len(instrs)
    touched_q: set[int] = set()  # qubits acted on later by non-droppable instructions
    touched_c: set[int] = set()
    later_measured_q: set[int] = set()
    pending: dict[int, list[int]] = {}  # qubit -> indices of its post-measure channels (decay, backaction)
    for i in range(len(instrs) - 1, -1, -1):
        ins = instrs[i]
        if isinstance(ins, Channel) and ins.post_measure and ins.qubits[0] not in touched_q:
            pending.setdefault(ins.qubits[0], []).append(i)
            continue
        if isinstance(ins, Measure):
            if ins.qubit not in touched_q and ins.clbit not in touched_c and ins.qubit not in later_measured_q:
                terminal.append(ins)
                keep[i] = False
                for j in pending.pop(ins.qubit, ()):
                    keep[j] = False
            pending.pop(ins.qubit, None)
            touched_q.add(ins.qubit)
            touched_c.add(ins.clbit)
            later_measured_q.add(ins.qubit)
        elif isinstance(ins, Conditional):
            qs, cs = _footprint(ins)
            touched_q |= qs
            touched_c |= cs | set(ins.clbits)
        elif not ins.diagonal:
            touched_q |= set(ins.qubits)
    out = [ins for ins, k in zip(instrs, keep) if k]
    return out, list(reversed(terminal))


def _footprint(ins) -> tuple[set[int], set[int]]:
    qs: set[int] = set()
    cs: set[int] = set()
    for body in (ins.true_body, ins.false_body):
        for sub in body:
            if isinstance(sub, Conditional):
                a, b = _footprint(sub)
                qs |= a
                cs |= b | set(sub.clbits)
            elif isinstance(sub, Measure):
                qs.add(sub.qubit)
                cs.add(sub.clbit)
            else:
                qs |= set(sub.qubits)
    return qs, cs


# ---------------------------------------------------------------------- fusion
def _compose_after(small: np.ndarray, positions: list[int], block: np.ndarray, k: int) -> np.ndarray:
    """embed(small on ``positions``) @ block for a k-qubit block, contracting only the small
    channel's axes (4^m 16^k operations instead of the 64^k of a dense product)."""
    m = len(positions)
    if k <= 2:
        return embed_superop(small, positions, k) @ block
    t = block.reshape([2] * (2 * k) + [block.shape[1]])  # output axes: r (qubit k-1..0), c (k-1..0)
    axes = [k - 1 - q for q in reversed(positions)] + [2 * k - 1 - q for q in reversed(positions)]
    sm = small.reshape([2] * (4 * m))  # [r' (m-1..0), c' (m-1..0), r (m-1..0), c (m-1..0)]
    res = np.tensordot(sm, t, axes=(list(range(2 * m, 4 * m)), axes))  # small's r', c' first
    rest = [a for a in range(2 * k) if a not in axes]
    order = axes + rest  # where each axis of res belongs (the input axis stays last)
    perm = [order.index(a) for a in range(2 * k)] + [2 * k]
    return np.ascontiguousarray(res.transpose(perm).reshape(block.shape))


def fuse(instrs, *, max_qubits: int = 2) -> list:
    """Fuse consecutive channels into blocks of at most ``max_qubits`` qubits.

    Exact: a channel is merged into the latest block that touched *all* of
    its qubits (and covers them, and has at most ``max_qubits`` qubits), or
    1-qubit blocks that are the latest on their qubits are absorbed into a
    following 2-qubit channel. Larger channels (the 3- and 4-qubit static-ZZ
    corrections) stay as they are. Measurements and conditionals are barriers
    on their qubits.
    """
    out: list = []
    last: dict[int, int | None] = {}

    def block_of(q):
        return last.get(q)

    for ins in instrs:
        if isinstance(ins, Measure):
            out.append(ins)
            for q in ins.qubits:
                last[q] = None
            continue
        if isinstance(ins, Conditional):
            fused = Conditional(ins.clbits, ins.value, tuple(fuse(ins.true_body, max_qubits=max_qubits)),
                                tuple(fuse(ins.false_body, max_qubits=max_qubits)), ins.label)
            out.append(fused)
            qs, _ = _footprint(ins)
            for q in qs:
                last[q] = None
            continue
        qs = ins.qubits
        owners = {block_of(q) for q in qs}
        if len(owners) == 1 and None not in owners:
            b = owners.pop()
            blk = out[b]
            if set(qs) <= set(blk.qubits) and len(blk.qubits) <= max_qubits:
                pos = [blk.qubits.index(q) for q in qs]
                s = _compose_after(ins.superop, pos, blk.superop, len(blk.qubits))
                out[b] = Channel(blk.qubits, s, blk.label)
                continue
        if len(qs) <= max_qubits:
            prev = [block_of(q) for q in qs]
            # a block may move later (into this op) only if it is still the latest op on *all* its qubits
            absorb = [
                b
                for b in dict.fromkeys(prev)
                if b is not None and set(out[b].qubits) <= set(qs) and all(last.get(q) == b for q in out[b].qubits)
            ]
            if absorb and len(absorb) == len({p for p in prev if p is not None}):
                s = ins.superop
                pre = np.eye(s.shape[0], dtype=complex)
                for b in absorb:
                    blk = out[b]
                    pos = [qs.index(q) for q in blk.qubits]
                    pre = embed_superop(blk.superop, pos, len(qs)) @ pre
                s = s @ pre
                for b in sorted(absorb, reverse=True):
                    out[b] = None  # placeholder, removed below
                out.append(Channel(qs, s, ins.label))
                for q in qs:
                    last[q] = len(out) - 1
                continue
        out.append(ins)
        for q in qs:
            last[q] = len(out) - 1
    return [ins for ins in out if ins is not None]
