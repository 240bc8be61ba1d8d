"""qutip-qip pulse-level reference for the GHZ benchmark.

This module times qutip-qip's *processor* (pulse-level, Lindblad master
equation) simulation of an n-qubit GHZ circuit with T1/T2 decoherence. The
result is the baseline that our own simulator is compared against.

The circuit is H on qubit 0 followed by the CNOT chain
0->1->...->n-1, starting from ``|0...0>``. It is compiled and simulated by
one of two qutip-qip model processors:

``"LinearSpinChain"``
    Two-level spins with ``sigma_x``/``sigma_z`` drives and XX+YY exchange
    coupling. qutip-qip leaves the unit open ("MHz, GHz etc, the unit of
    time list needs to be adjusted accordingly"). Here the default
    hardware parameters (``sx=0.25``, ``sz=1.0``, ``sxsy=0.1``) are read as
    MHz, so the processor's time unit is the microsecond and ``t1_us`` and
    ``t2_us`` are passed through unchanged (see
    :data:`SPINCHAIN_TIME_UNIT_US`).
``"SCQubits"``
    Fixed-frequency transmons with DRAG single-qubit pulses and
    cross-resonance (ZX) CNOTs. qutip-qip gives the hardware parameters in
    GHz, so its time unit is the nanosecond and ``t1``/``t2`` are passed as
    ``1e3 * t1_us``/``1e3 * t2_us``. By default each transmon is a 3-level
    Duffing oscillator (to capture leakage). The fidelity is therefore
    evaluated on the *unnormalised* qubit-subspace block of the final
    density matrix, so any population left in ``|2>`` counts as an error.

In qutip-qip, ``t1`` becomes the collapse operator ``a / sqrt(t1)`` and
``t2`` is the *total* coherence time. The extra pure-dephasing rate is
chosen so that coherences decay as ``exp(-t / t2)``, which requires
``t2 <= 2 * t1``.

Only the processor work is timed: building the processor,
``load_circuit`` (transpile, compile and schedule) and ``run_state``
(``qutip.mesolve`` with the processor's own default solver settings and
time grid). Building the small circuit object and computing the figures of
merit afterwards are not timed. One tiny warm-up simulation runs once per
process and model, untimed, so that the first timed call does not pay for
qutip's lazy imports.

Run ``python benchmarks/_qutip_qip_reference.py`` to print a small table.
"""

from __future__ import annotations

import functools
import itertools
import time

import numpy as np
import qutip
from qutip_qip.circuit import QubitCircuit
from qutip_qip.device import LinearSpinChain, SCQubits

__all__ = ["qutip_qip_ghz", "SPINCHAIN_TIME_UNIT_US", "SCQUBITS_TIME_UNIT_US"]

#: Processor time unit of ``LinearSpinChain`` in microseconds. The default
#: couplings are read as MHz, so 1 unit = 1 us.
SPINCHAIN_TIME_UNIT_US = 1.0
#: Processor time unit of ``SCQubits`` in microseconds. The parameters are in
#: GHz, so 1 unit = 1 ns = 1e-3 us.
SCQUBITS_TIME_UNIT_US = 1.0e-3

_MODELS = ("LinearSpinChain", "SCQubits")


def _ghz_circuit(n: int) -> QubitCircuit:
    """Build the GHZ-preparation circuit.

    Parameters
    ----------
    n : int
        Number of qubits.

    Returns
    -------
    QubitCircuit
        Hadamard (``SNOT``) on qubit 0, then ``CNOT(i -> i+1)`` for
        ``i = 0 .. n-2``.
    """
    qc = QubitCircuit(n)
    qc.add_gate("SNOT", targets=0)
    for i in range(n - 1):
        qc.add_gate("CNOT", controls=i, targets=i + 1)
    return qc


def _qubit_indices(n: int, d: int) -> np.ndarray:
    """List the flat indices of the computational (qubit) subspace.

    Parameters
    ----------
    n : int
        Number of subsystems.
    d : int
        Local dimension of each subsystem (2 for qubits, 3 for transmons).

    Returns
    -------
    numpy.ndarray
        ``2**n`` indices into the ``d**n`` space, ordered like the
        ``2**n`` qubit basis (qubit 0 is the most significant digit, as in
        qutip's tensor ordering).
    """
    weights = d ** np.arange(n - 1, -1, -1)
    bits = np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int64)
    return bits @ weights


def _build_processor(model: str, n: int, t1: float, t2: float, levels: int):
    """Create the qutip-qip processor.

    Parameters
    ----------
    model : str
        ``"LinearSpinChain"`` or ``"SCQubits"``.
    n : int
        Number of qubits.
    t1, t2 : float
        Relaxation and total coherence times, in the processor's time unit.
    levels : int
        Levels per transmon (``SCQubits`` only).

    Returns
    -------
    tuple
        ``(processor, local_dim)``.
    """
    if model == "LinearSpinChain":
        return LinearSpinChain(n, t1=t1, t2=t2), 2
    return SCQubits(n, dims=[levels] * n, t1=t1, t2=t2), levels


def _simulate(model, n, t1, t2, levels):
    """Run the timed part: build the processor, compile it and run mesolve.

    Parameters
    ----------
    model : str
        Processor name.
    n : int
        Number of qubits.
    t1, t2 : float
        Times in the processor's own unit.
    levels : int
        Levels per transmon (``SCQubits`` only).

    Returns
    -------
    tuple
        ``(final_state, processor, local_dim, seconds)``.
    """
    qc = _ghz_circuit(n)
    start = time.perf_counter()
    processor, d = _build_processor(model, n, t1, t2, levels)
    processor.load_circuit(qc)
    init_state = qutip.basis([d] * n, [0] * n)
    # Use the processor's own tlist, max_step and solver defaults (adams). Keep
    # only the final state: the integrator still steps through the same time
    # grid, but the intermediate density matrices are not kept in memory.
    result = processor.run_state(
        init_state,
        options={"store_states": False, "store_final_state": True},
    )
    seconds = time.perf_counter() - start
    return result.final_state, processor, d, seconds


@functools.lru_cache(maxsize=None)
def _warm_up(model: str) -> None:
    """Run one tiny, untimed simulation per process and model.

    Parameters
    ----------
    model : str
        Processor name.

    Notes
    -----
    This loads qutip's and qutip-qip's lazily imported pieces (solver,
    integrator and coefficient classes), so the first timed call measures
    simulation rather than imports. For ``SCQubits`` it uses 2-level
    transmons to keep the warm-up fast.
    """
    _simulate(model, 2, 1.0e6, 1.0e6, 2)


def qutip_qip_ghz(
    n: int,
    model: str,
    *,
    t1_us: float,
    t2_us: float,
    sc_levels: int = 3,
) -> dict:
    """Simulate an n-qubit GHZ circuit on a qutip-qip processor with T1/T2 noise.

    The circuit is H on qubit 0, then the CNOT chain 0->1->...->n-1,
    starting from ``|0...0>``. It is compiled to pulses with
    ``processor.load_circuit`` and evolved with ``processor.run_state``
    (``qutip.mesolve`` with the processor's relaxation collapse operators).

    Parameters
    ----------
    n : int
        Number of qubits (>= 2).
    model : str
        ``"LinearSpinChain"`` or ``"SCQubits"``.
    t1_us : float
        Energy-relaxation time T1 in microseconds. The same value is used
        for every qubit.
    t2_us : float
        Total coherence time T2 in microseconds. It must satisfy
        ``t2_us <= 2 * t1_us``. The same value is used for every qubit.
    sc_levels : int, optional
        Levels per transmon for ``"SCQubits"`` (default 3, qutip-qip's
        default, which models leakage). Use 2 for a pure-qubit transmon
        model. This is much faster, because the anharmonic drift then
        vanishes, but the DRAG pulses are tuned for 3 levels. Ignored for
        ``"LinearSpinChain"``.

    Returns
    -------
    dict
        With these keys:

        ``"model"``
            The model name, as passed in.
        ``"n"``
            The number of qubits.
        ``"seconds"``
            Wall time of processor construction, ``load_circuit`` and
            ``run_state``. Imports and the circuit object are not timed.
        ``"fidelity"``
            ``<GHZ|rho|GHZ>`` with ``GHZ = (|0..0> + |1..1>) / sqrt(2)``.
            For 3-level transmons, ``rho`` is the unnormalised
            qubit-subspace block, so leakage counts as infidelity.
        ``"p_ghz"``
            ``P(0..0) + P(1..1)`` from the diagonal of the same ``rho``.
        ``"notes"``
            A short description of the configuration: units, levels,
            circuit duration and leakage.

    Raises
    ------
    ValueError
        If ``model`` is unknown, ``n < 2``, the times are not positive,
        ``t2_us > 2 * t1_us`` (qutip-qip rejects this) or
        ``sc_levels < 2``.
    """
    if model not in _MODELS:
        raise ValueError(f"model must be one of {_MODELS}, got {model!r}")
    n = int(n)
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    if not (t1_us > 0 and t2_us > 0):
        raise ValueError("t1_us and t2_us must be positive")
    if t2_us > 2.0 * t1_us:
        raise ValueError(f"need t2_us <= 2*t1_us, got t1={t1_us}, t2={t2_us}")
    levels = int(sc_levels)
    if levels < 2:
        raise ValueError(f"sc_levels must be >= 2, got {sc_levels}")

    if model == "LinearSpinChain":
        unit_us, unit_name = SPINCHAIN_TIME_UNIT_US, "us"
    else:
        unit_us, unit_name = SCQUBITS_TIME_UNIT_US, "ns"
    t1 = t1_us / unit_us
    t2 = t2_us / unit_us

    _warm_up(model)
    rho, processor, d, seconds = _simulate(model, n, t1, t2, levels)

    if rho.isket:  # only without collapse operators; kept for safety
        rho = qutip.ket2dm(rho)
    full = rho.full()
    idx = _qubit_indices(n, d)
    rho_q = full[np.ix_(idx, idx)]  # unnormalised qubit-subspace block
    leakage = max(0.0, 1.0 - float(np.real(np.trace(rho_q))))
    p00 = float(np.real(rho_q[0, 0]))
    p11 = float(np.real(rho_q[-1, -1]))
    coh = float(np.real(rho_q[0, -1]))
    # <GHZ|rho|GHZ> = (rho_00 + rho_11 + 2 Re rho_{0..0,1..1}) / 2
    fidelity = 0.5 * (p00 + p11 + 2.0 * coh)
    p_ghz = p00 + p11

    duration = float(processor.get_full_tlist()[-1])
    if model == "LinearSpinChain":
        notes = (
            f"LinearSpinChain default params (sx=.25,sz=1,sxsy=.1) read as "
            f"MHz -> time unit {unit_name}; t1={t1:g}{unit_name}, "
            f"t2={t2:g}{unit_name}; 2-level spins; circuit "
            f"{duration:.4g}{unit_name}; mesolve default (adams)"
        )
    else:
        lvl = (
            f"{levels}-level transmons, F/p on unnormalised qubit block "
            f"(leakage {leakage:.1e} counted as error)"
            if levels > 2
            else "2-level transmons"
        )
        notes = (
            f"SCQubits GHz/ns units; t1={t1:g}{unit_name}, "
            f"t2={t2:g}{unit_name}; {lvl}; DRAG+CR pulses; circuit "
            f"{duration:.4g}{unit_name}; mesolve default (adams)"
        )

    return {
        "model": model,
        "n": n,
        "seconds": seconds,
        "fidelity": fidelity,
        "p_ghz": p_ghz,
        "notes": notes,
    }


def _main() -> None:
    """Print the reference table for n = 3, 4 and both models."""
    t1_us, t2_us = 100.0, 80.0
    print(f"qutip {qutip.__version__}, T1={t1_us} us, T2={t2_us} us")
    header = f"{'model':<16}{'n':>3}{'seconds':>10}{'fidelity':>11}{'p_ghz':>9}"
    print(header)
    print("-" * len(header))
    rows = []
    for n in (3, 4):
        for model in _MODELS:
            r = qutip_qip_ghz(n, model, t1_us=t1_us, t2_us=t2_us)
            rows.append(r)
            print(
                f"{r['model']:<16}{r['n']:>3}{r['seconds']:>10.3f}"
                f"{r['fidelity']:>11.5f}{r['p_ghz']:>9.5f}",
                flush=True,
            )
    print()
    for r in rows:
        print(f"n={r['n']} {r['model']}: {r['notes']}")


if __name__ == "__main__":
    _main()
