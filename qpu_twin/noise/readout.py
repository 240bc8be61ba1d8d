"""Readout as a timed process: what a measurement does to the measured qubit and to its neighbours.

Measured qubit (``readout_window`` and ``backaction`` switches):

* **Relaxation during the readout window.** With ``readout_t1_window_ns`` = w
  on the qubit, |1> relaxes with T1 for w before it is discriminated: a decay
  in that window reads 0 *and leaves the qubit in* |0>. The assignment error
  splits into this T1 part and a separation part (the signal is misclassified,
  the state is not changed): with a = exp(-w/T1),

      p(0|1) = (1 - a)(1 - p(1|0)) + a * s01,   p(1|0) = s10,

  so a terminal measurement reproduces the profile's p(0|1) and p(1|0)
  exactly, while a mid-circuit measurement leaves the decayed state behind.
  The rest of the readout duration relaxes the qubit after the projection
  (as before). Without a window (default) the whole p(0|1) is separation error.
* **Backaction.** ``meas_excitation_prob`` / ``meas_relaxation_prob``: after the
  projection the qubit is flipped 0 -> 1 / 1 -> 0 with these probabilities (not
  seen in its own record; seen by whatever uses the qubit next).

Spectators (``spectators`` switch), for every other active qubit while a
qubit is read out:

* ``crosstalk.readout_spectators`` entries (per measured/spectator pair, or
  device-wide with ``None``): extra pure dephasing at ``dephasing_rate_mhz`` and an
  AC-Stark Z phase 2 pi ``stark_shift_mhz`` t, exactly over the part of the readout
  window in which the spectator idles (both commute with idle relaxation), and
  over the part overlapping a gate of the spectator right after that gate.
* ``crosstalk.measurement`` entries (the spectator error probability per
  measurement event that Quantinuum quotes): a random Pauli error with that
  probability on the spectator at the end of the measurement.
"""

from __future__ import annotations

import math

from ..profiles.model import DeviceProfile


def readout_window_ns(profile: DeviceProfile, qubit: int) -> float:
    """The qubit's T1-relevant readout window (ns), 0 if the profile gives none."""
    w = profile.qubit(qubit).readout_t1_window_ns
    return float(w or 0.0)


def separation_errors(p10: float, p01: float, t1_us: float | None, window_ns: float) -> tuple[float, float]:
    """(s10, s01): the separation part of the assignment errors once T1 over ``window_ns`` is explicit.

    Inverts p(0|1) = (1 - a)(1 - p10) + a s01 with a = exp(-window/T1) (see the
    module docstring); with no window or no T1 the errors are returned unchanged.
    """
    if not window_ns or not t1_us:
        return p10, p01
    a = math.exp(-window_ns / (t1_us * 1e3))
    s01 = (p01 - (1.0 - a) * (1.0 - p10)) / a
    return p10, max(s01, 0.0) if s01 > -1e-12 else s01


def spectator_terms(profile: DeviceProfile, measured: int, spectator: int) -> tuple[float, float, float]:
    """(dephasing rate in 1/ns, Stark shift in rad/ns, Pauli-error probability per event) of ``spectator``
    while ``measured`` is read out (entries for the pair and device-wide ones add up)."""
    rate = 0.0
    shift = 0.0
    for t in profile.crosstalk.readout_spectators:
        if t.measured in (None, measured) and t.spectator in (None, spectator):
            rate += t.dephasing_rate_mhz * 1e-3
            shift += 2 * math.pi * t.stark_shift_mhz * 1e-3
    perr = 0.0
    for t in profile.crosstalk.measurement:
        if t.measured in (None, measured) and t.spectator in (None, spectator):
            perr = 1.0 - (1.0 - perr) * (1.0 - t.error)
    return rate, shift, perr


def has_spectator_physics(profile: DeviceProfile) -> bool:
    return bool(profile.crosstalk.readout_spectators) or bool(profile.crosstalk.measurement)


def measurement_windows(ops) -> list[tuple[int, float, float]]:
    """(measured qubit, start, end) of every measurement in a schedule's ops (recursing into conditionals)."""
    out = []
    for op in ops:
        if op.kind == "measure":
            out.append((op.qubits[0], op.start_ns, op.end_ns))
        elif op.kind == "if_else" and op.bodies:
            for body in op.bodies:
                out += measurement_windows(body)
    return out


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))
