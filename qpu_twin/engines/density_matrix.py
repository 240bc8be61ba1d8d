"""Exact density-matrix engine with classical-branch tracking.

The state is a set of branches: classical register value -> unnormalised
density matrix of the active qubits (its trace is the branch probability).
A mid-circuit measurement with assignment errors p(1|0), p(0|1) splits each
branch by the *recorded* bit c: rho_c = p(c|0) P0 rho P0 + p(c|1) P1 rho P1,
and branches with the same record merge. Conditionals pick their body per
branch. Terminal measurements are read from the final diagonals and the
assignment errors applied classically. The result is the exact outcome
distribution: no sampling anywhere.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from ..errors import CostWarning, EngineError
from ..noise.program import Channel, Conditional, Measure, NoisyProgram
from .base import Engine, EngineOutput, check_option_values, register_engine
from .kernels import apply_superop, project_pair, project_qubit

#: Measured cost of applying one two-qubit channel, per density-matrix element (seconds; 2 cores).
SECONDS_PER_ELEMENT = 5e-9
#: A run estimated to take longer than this warns (CostWarning) and shows a progress bar.
WARN_SECONDS = 60.0
#: A run whose density matrices need more than this warns (CostWarning).
WARN_BYTES = 4 * 2**30


def physical_memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 2**30


def _mid_clbits(instrs) -> set[int]:
    bits: set[int] = set()
    for ins in instrs:
        if isinstance(ins, Measure):
            bits.add(ins.clbit)
        elif isinstance(ins, Conditional):
            bits |= _mid_clbits(ins.true_body) | _mid_clbits(ins.false_body)
    return bits


class DensityMatrixEngine(Engine):
    """Exact engine for up to ~13 active qubits (memory: 16 * 4^n bytes per branch).

    Options
    -------
    max_memory_bytes : int
        Refuse programs whose density matrices would need more (default: 75 %
        of physical memory).
    save_state : bool
        Return the final density matrix (before terminal measurements, summed
        over classical branches) as the output's ``state``.
    progress : bool or None
        tqdm bar over the instructions (default: when the run is estimated to
        take more than ``WARN_SECONDS``).

    Runs estimated to need more than ``WARN_BYTES`` of memory or more than
    ``WARN_SECONDS`` of time warn first (:class:`~qpu_twin.errors.CostWarning`
    with the estimates); the time estimate is ``SECONDS_PER_ELEMENT`` per
    density-matrix element and channel, measured on 2 cores.
    """

    name = "density_matrix"
    option_names = ("max_memory_bytes", "save_state", "progress")

    def __init__(self, *, max_memory_bytes: int | None = None, save_state: bool = False,
                 progress: bool | None = None):
        super().__init__(save_state=save_state, progress=progress)
        check_option_values("density_matrix", save_state=save_state, progress=progress)
        if max_memory_bytes is not None:
            if isinstance(max_memory_bytes, bool) or not isinstance(max_memory_bytes, (int, np.integer)) \
                    or max_memory_bytes < 1:
                raise EngineError(f"density_matrix: max_memory_bytes={max_memory_bytes!r} must be a positive "
                                  "integer (bytes) or None (75 % of physical memory)")
        self.max_memory_bytes = int(max_memory_bytes or 0.75 * physical_memory_bytes())
        self.save_state = bool(save_state)
        self.progress = progress

    @staticmethod
    def memory_estimate(num_qubits: int, mid_circuit_measurements: bool) -> int:
        """Bytes for the density matrix plus the measurement work arrays."""
        return 16 * 4**num_qubits * (3 if mid_circuit_measurements else 1)

    @staticmethod
    def time_estimate(num_qubits: int, num_channels: int) -> float:
        """Rough wall time (s) of applying ``num_channels`` channels to an n-qubit density matrix."""
        return SECONDS_PER_ELEMENT * 4**num_qubits * max(num_channels, 1)

    def check_size(self, num_qubits: int, *, mid_circuit_measurements: bool) -> None:
        need = self.memory_estimate(num_qubits, mid_circuit_measurements)
        how = f"16*4^{num_qubits} bytes" + (" x3 for the mid-circuit measurement branches"
                                            if mid_circuit_measurements else "")
        if need > self.max_memory_bytes:
            raise EngineError(
                f"density_matrix: {num_qubits} active qubits need {need / 2**30:.3g} GiB for the density "
                f"matrix ({how}) but the limit is {self.max_memory_bytes / 2**30:.3g} GiB "
                f"(max_memory_bytes); use engine='tensor_network' or fewer qubits"
            )
        if need > WARN_BYTES:
            warnings.warn(f"density_matrix: {num_qubits} active qubits need {need / 2**30:.3g} GiB ({how}); "
                          "each channel costs about "
                          f"{self.time_estimate(num_qubits, 1):.3g} s", CostWarning, stacklevel=3)

    def check(self, program: NoisyProgram) -> None:
        self.check_size(program.num_qubits, mid_circuit_measurements=bool(_mid_clbits(program.instructions)))

    def run(self, program: NoisyProgram) -> EngineOutput:
        self.check(program)
        n = program.num_qubits
        estimate = self.time_estimate(n, program.num_channels)
        if estimate > WARN_SECONDS:
            warnings.warn(f"density_matrix: {n} active qubits, {program.num_channels} channels: estimated "
                          f"{estimate:.0f} s and {self.memory_estimate(n, False) / 2**30:.3g} GiB per branch",
                          CostWarning, stacklevel=3)
        show = self.progress if self.progress is not None else estimate > WARN_SECONDS
        rho = np.zeros(4**n, dtype=np.complex128)
        rho[0] = 1.0
        branches: dict[int, np.ndarray] = {0: rho}
        stats = {"channels_applied": 0, "max_branches": 1, "estimated_seconds": estimate}
        bar = None
        if show:
            from tqdm import tqdm

            bar = tqdm(total=len(program.instructions), desc=f"density_matrix ({n} qubits)", leave=False)
        try:
            branches = self._run(program.instructions, branches, n, stats, bar)
        finally:
            if bar is not None:
                bar.close()
        probs = self._final_distribution(branches, program, n)
        trace = float(sum(np.real(r[:: 2**n + 1].sum()) for r in branches.values()))
        stats["trace"] = trace
        state = None
        if self.save_state:
            # the state the terminal measurements see, summed over classical branches
            state = sum(r for r in branches.values()).reshape(2**n, 2**n)
        return EngineOutput(probs, stats, state=state, truncation_error=0.0)

    # ------------------------------------------------------------------ core loop
    def _run(self, instrs, branches: dict[int, np.ndarray], n: int, stats, bar=None) -> dict[int, np.ndarray]:
        for ins in instrs:
            if bar is not None:
                bar.update(1)
            if isinstance(ins, Channel):
                for r in branches.values():
                    apply_superop(r, ins.superop, ins.qubits, n)
                stats["channels_applied"] += 1
            elif isinstance(ins, Measure):
                branches = self._measure(ins, branches, n, stats)
            elif isinstance(ins, Conditional):
                new: dict[int, np.ndarray] = {}
                for key, r in branches.items():
                    body = ins.true_body if ins.holds(key) else ins.false_body
                    for k2, r2 in self._run(body, {key: r}, n, stats).items():
                        if k2 in new:
                            new[k2] += r2
                        else:
                            new[k2] = r2
                branches = new
            else:  # pragma: no cover - programs are built by NoiseBuilder
                raise EngineError(f"density_matrix: unknown instruction {ins!r}")
        return branches

    def _measure(self, m: Measure, branches, n: int, stats) -> dict[int, np.ndarray]:
        per = 16 * 4**n
        projected = 2 * len(branches)
        if per * (projected + len(branches)) > self.max_memory_bytes:
            raise EngineError(
                f"density_matrix: mid-circuit measurement '{m.label}' would hold {projected} branches of "
                f"{per / 2**30:.3g} GiB (limit {self.max_memory_bytes / 2**30:.3g} GiB)"
            )
        new: dict[int, np.ndarray] = {}
        bit = 1 << m.clbit
        for key, r in branches.items():
            for rec, w0, w1 in ((0, 1.0 - m.p10, m.p01), (1, m.p10, 1.0 - m.p01)):
                if w0 == 0.0 and w1 == 0.0:
                    continue
                if m.flag is None:
                    out = project_qubit(r, m.qubit, n, w0, w1)
                else:  # a qubit that can leak: (q, flag) = (0, 1) is |2> and reads as m.leaked_reads
                    wl = w1 if m.leaked_reads else w0
                    out = project_pair(r, m.qubit, m.flag, n, ((w0, wl), (w1, 0.0)))
                if not out.any():
                    continue
                k2 = (key | bit) if rec else (key & ~bit)
                if k2 in new:
                    new[k2] += out
                else:
                    new[k2] = out
        stats["max_branches"] = max(stats["max_branches"], len(new))
        return new

    # ------------------------------------------------------------------ read-out
    @staticmethod
    def _final_distribution(branches, program: NoisyProgram, n: int) -> dict[str, float]:
        terminal = program.terminal
        nc = program.num_clbits
        tq = [m.qubit for m in terminal]
        out: dict[int, float] = {}
        for key, r in branches.items():
            diag = np.real(r[:: 2**n + 1])
            if not terminal:
                out[key] = out.get(key, 0.0) + float(diag.sum())
                continue
            # marginal over the terminally measured qubits (and their leakage flags), in terminal order
            t = diag.reshape([2] * n)  # axis i is qubit n-1-i
            axes = [n - 1 - q for q in tq]
            flag_axes = [n - 1 - m.flag for m in terminal if m.flag is not None]
            keep = sorted(set(axes) | set(flag_axes))
            marg = t.sum(axis=tuple(a for a in range(n) if a not in keep)) if len(keep) < n else t
            # reorder so axis j is terminal measurement j (a qubit measured twice is not terminal), flags after
            marg = np.transpose(marg, [keep.index(a) for a in axes + flag_axes])
            fi = len(axes)
            for j, m in enumerate(terminal):
                if m.flag is None:
                    continue
                # actual value a of (q, flag): (0,0) -> 0, (1,0) -> 1, (0,1) leaked -> m.leaked_reads
                comb = np.zeros((2, 2, 2))
                comb[0, 0, 0] = comb[1, 1, 0] = 1.0
                comb[m.leaked_reads, 0, 1] = 1.0
                marg = np.moveaxis(np.tensordot(comb, marg, axes=([1, 2], [j, fi])), 0, j)
                # the flag axis is gone: later flag axes moved down by one
            del fi
            paired = {i for i, j, _ in program.readout_pairs} | {j for i, j, _ in program.readout_pairs}
            for j, m in enumerate(terminal):
                if j in paired:
                    continue
                conf = np.array([[1.0 - m.p10, m.p01], [m.p10, 1.0 - m.p01]])  # [recorded, actual]
                marg = np.moveaxis(np.tensordot(conf, marg, axes=([1], [j])), 0, j)
            for i, j, mat in program.readout_pairs:  # joint assignment of a pair read out together
                t4 = mat.reshape(2, 2, 2, 2)  # [rec_i, rec_j, act_i, act_j]
                marg = np.moveaxis(np.tensordot(t4, marg, axes=([2, 3], [i, j])), [0, 1], [i, j])
            base = key
            for m in terminal:
                base &= ~(1 << m.clbit)
            flat = marg.reshape(-1)
            mcount = len(terminal)
            for idx in np.flatnonzero(flat):
                k = base
                for j, m in enumerate(terminal):
                    if (idx >> (mcount - 1 - j)) & 1:
                        k |= 1 << m.clbit
                out[k] = out.get(k, 0.0) + float(flat[idx])
        return {format(k, f"0{nc}b") if nc else "": v for k, v in sorted(out.items())}


register_engine("density_matrix", DensityMatrixEngine)
