"""Import Google Sycamore devices from the calibration snapshots cirq-google ships.

``cirq_google.engine.load_median_device_calibration(name)`` holds real median
calibrations of ``rainbow`` (23 qubits, 2021-11-16) and ``weber`` (53 qubits,
2021-11-03); ``load_sample_device_zphase(name)`` their Floquet z-phase data.

Mapping (calibration metric -> profile field)
---------------------------------------------
* Qubit i is the i-th calibrated ``GridQubit`` in sorted order (recorded in
  ``provenance.notes`` as ``cirq qubits: 0=(r,c) ...``; :func:`grid_qubits`
  reads it back).
* ``t1_us`` = ``single_qubit_idle_t1_micros``.
* ``t2_us``: the calibration has no T2. As cirq-google's own converter
  (``noise_properties_from_calibration``): the pure-dephasing error per
  single-qubit gate is ``single_qubit_rb_incoherent_error_per_gate`` minus the
  T1 share t/(3 T1) (t = 25 ns PhasedXZ), Tphi = t / (3 * that); then
  1/T2 = 1/(2 T1) + 1/Tphi. Where the incoherent error does not exceed the T1
  share (no resolvable dephasing) T2 = 2 T1 (cirq uses Tphi = 1e10 ns there).
* ``prob_meas1_prep0`` = ``single_qubit_p00_error``, ``prob_meas0_prep1`` =
  ``single_qubit_p11_error`` (isolated readout, as cirq's converter);
  ``readout_duration_ns`` = 4000, ``reset_duration_ns`` = 250 (cirq-google's
  legacy Sycamore gate times, also used for the gate durations below).
* Gates: ``rz`` virtual (Cirq's ZPowGate without PhysicalZTag); ``u`` for
  PhasedXZ (25 ns), ``error`` = 2/3 x ``single_qubit_rb_pauli_error_per_gate``;
  ``sqrt_iswap`` (32 ns) and ``syc`` (12 ns) on every calibrated pair, ``error``
  = 4/5 x ``two_qubit_parallel_{sqrt_iswap,sycamore}_gate_xeb_pauli_error_per_cycle``.
  (A Pauli error p of a d-dimensional channel is an average gate infidelity
  d p / (d + 1); the XEB per-cycle error is attributed to the two-qubit gate,
  as cirq's converter does.)
* ZZ: Sycamore's tunable couplers idle at zero coupling and the calibration
  gives no static ZZ: ``crosstalk.zz`` is empty. The z-phase / angle data are
  *coherent errors of the gate* (swap angle theta, conditional phase phi — the
  ZZ-type term — and the single-qubit phases zeta, gamma): the profile schema
  has no field for them (its ``zz_khz`` is a static coupling acting outside the
  pair's own gates), so they are not imported; each metric is recorded in
  ``provenance.adjustments`` with its count and median |value|. Their
  infidelity is part of the XEB Pauli error, which the twin applies as
  incoherent (depolarizing) error. This is the main documented difference from
  ``cirq_google.NoiseModelFromGoogleNoiseProperties`` (see
  :mod:`qpu_twin.interop.cirq`).
"""

from __future__ import annotations

import re
import statistics
from datetime import datetime, timezone
from typing import Any

from ...errors import ProfileError
from ._common import ImportLog, finalize_gate, finalize_qubit, qpu_twin_version

#: cirq-google's legacy Sycamore gate durations (calibration_to_noise_properties.DEFAULT_GATE_NS)
GATE_NS = {"u": 25.0, "sqrt_iswap": 32.0, "syc": 12.0, "measure": 4000.0, "reset": 250.0}
_PREFIX = {"sqrt_iswap": "two_qubit_parallel_sqrt_iswap_gate", "syc": "two_qubit_parallel_sycamore_gate"}
DEVICES = ("rainbow", "weber")


def _metric_1q(cal, name: str) -> dict:
    if name not in cal:
        return {}
    return {cal.key_to_qubit(k): cal.value_to_float(v) for k, v in cal[name].items()}


def _metric_2q(cal, name: str) -> dict:
    if name not in cal:
        return {}
    return {tuple(cal.key_to_qubits(k)): cal.value_to_float(v) for k, v in cal[name].items()}


def profile_data_from_cirq_google(processor: str, *, name: str | None = None) -> tuple[dict[str, Any], ImportLog]:
    """Profile data from cirq-google's shipped median calibration (validated by ``DeviceProfile.from_cirq_google``).

    Parameters
    ----------
    processor : {"rainbow", "weber"}
        A processor with a median calibration in ``cirq_google``.
    name : str, optional
        Profile name (default ``google_<processor>``).

    Returns
    -------
    (data, log)
        The profile as plain data and the import log; see the module docstring for the mapping.
    """
    try:
        from cirq_google.engine import virtual_engine_factory as vef
    except ImportError as exc:  # pragma: no cover
        raise ProfileError("the Google importer needs cirq-google: pip install 'qpu_twin[interop]'") from exc
    if processor not in DEVICES:
        raise ProfileError(f"processor={processor!r}: cirq-google ships median calibrations of {list(DEVICES)}")
    cal = vef.load_median_device_calibration(processor)
    zphase = vef.load_sample_device_zphase(processor) if processor in vef.ZPHASE_DATA else {}
    pname = name or f"google_{processor}"
    log = ImportLog(pname)

    t1 = _metric_1q(cal, "single_qubit_idle_t1_micros")
    incoh = _metric_1q(cal, "single_qubit_rb_incoherent_error_per_gate")
    pauli1 = _metric_1q(cal, "single_qubit_rb_pauli_error_per_gate")
    p00 = _metric_1q(cal, "single_qubit_p00_error")
    p11 = _metric_1q(cal, "single_qubit_p11_error")
    grid = sorted(set(t1) | set(pauli1) | set(p00) | set(p11))
    index = {q: i for i, q in enumerate(grid)}
    t_mw = GATE_NS["u"]
    no_dephasing = []
    qubits: list[dict[str, Any]] = []
    for q in grid:
        i = index[q]
        d: dict[str, Any] = {"index": i, "readout_duration_ns": GATE_NS["measure"], "reset_duration_ns": GATE_NS["reset"]}
        if q in t1:
            d["t1_us"] = float(t1[q])
            if q in incoh:
                tphi_err = incoh[q] - t_mw / (3 * t1[q] * 1e3)
                if tphi_err <= 0:
                    d["t2_us"] = 2.0 * t1[q]
                    no_dephasing.append(i)
                else:
                    tphi_us = t_mw / (3 * tphi_err) * 1e-3
                    d["t2_us"] = 1.0 / (0.5 / t1[q] + 1.0 / tphi_us)
        if q in p00:
            d["prob_meas1_prep0"] = float(p00[q])
        if q in p11:
            d["prob_meas0_prep1"] = float(p11[q])
        qubits.append(finalize_qubit(d, log))

    gates: list[dict[str, Any]] = []
    for q in grid:
        i = index[q]
        gates.append(finalize_gate("rz", (i,), 0.0, 0.0, log))
        err = pauli1.get(q)
        gates.append(finalize_gate("u", (i,), None if err is None else 2.0 / 3.0 * err, GATE_NS["u"], log))
    edges: set[tuple[int, int]] = set()
    for gname, prefix in _PREFIX.items():
        errs = _metric_2q(cal, prefix + "_xeb_pauli_error_per_cycle")
        seen = set()
        for (a, b), p in sorted(errs.items()):
            if a not in index or b not in index:
                log.adjust("device", "gates", f"{gname}({a}, {b})", None, "pair has an uncalibrated qubit: not imported")
                continue
            i, j = sorted((index[a], index[b]))
            if (i, j) in seen:
                continue
            seen.add((i, j))
            gates.append(finalize_gate(gname, (i, j), 4.0 / 5.0 * p, GATE_NS[gname], log))
            edges.update({(i, j), (j, i)})

    # coherent gate errors the schema cannot hold: recorded, not silently dropped
    coherent = []
    for gname, prefix in _PREFIX.items():
        for angle in ("theta", "phi"):
            vals = _metric_2q(cal, f"{prefix}_xeb_entangler_{angle}_error_per_cycle")
            if vals:
                coherent.append((f"{prefix}_xeb_entangler_{angle}_error_per_cycle", list(vals.values())))
    for gate_code, angles in (zphase or {}).items():
        for angle, vals in angles.items():
            coherent.append((f"zphase[{gate_code}][{angle}]", list(vals.values())))
    for metric, vals in coherent:
        med = statistics.median(abs(v) for v in vals)
        log.adjust(
            "crosstalk.zz" if "phi" in metric else "device",
            metric,
            f"{len(vals)} values, median |x| = {med:.3g} rad",
            None,
            "coherent fSim-angle error of the gate; the profile has no field for it (zz_khz is a static "
            "coupling outside the pair's own gates): not imported, its infidelity is in the XEB Pauli error",
            warn=False,
        )

    ts = datetime.fromtimestamp(cal.timestamp / 1000.0, tz=timezone.utc)
    qmap = " ".join(f"{index[q]}=({q.row},{q.col})" for q in grid)
    notes = [
        f"cirq qubits: {qmap}",
        f"cirq-google median calibration {vef.MEDIAN_CALIBRATIONS[processor]}"
        + (f", z-phase data {vef.ZPHASE_DATA[processor]}" if processor in vef.ZPHASE_DATA else ""),
        "gate durations: cirq-google's legacy Sycamore times (PhasedXZ 25 ns, sqrt_iswap 32 ns, syc 12 ns, "
        "measurement 4000 ns, reset 250 ns)",
    ]
    if no_dephasing:
        notes.append(f"qubits {no_dephasing}: RB incoherent error <= its T1 share: no resolvable dephasing, T2 = 2*T1")
    data = {
        "name": pname,
        "vendor": "Google",
        "technology": "superconducting",
        "timestamp": ts,
        "num_qubits": len(grid),
        "description": f"Google Sycamore '{processor}' ({len(grid)} qubits), cirq-google median calibration "
        f"of {ts.date().isoformat()}",
        "qubits": qubits,
        "gates": gates,
        "coupling_map": sorted(edges),
        "crosstalk": {},
        "provenance": {
            "source": f"cirq_google.engine.load_median_device_calibration({processor!r})",
            "method": "DeviceProfile.from_cirq_google: calibration metrics (T1, RB/XEB Pauli errors, readout); "
            "T2 from the RB incoherent error as cirq-google's noise_properties_from_calibration",
            "imported_with": qpu_twin_version(),
            "references": ("https://quantumai.google/cirq/google/calibration",),
            "notes": notes,
            "adjustments": log.adjustments,
        },
    }
    return data, log


def grid_qubits(profile) -> list:
    """The ``cirq.GridQubit`` of each profile qubit (from the importer's provenance note)."""
    import cirq

    for note in profile.provenance.notes:
        if note.startswith("cirq qubits: "):
            out = {}
            for m in re.finditer(r"(\d+)=\((-?\d+),(-?\d+)\)", note):
                out[int(m.group(1))] = cirq.GridQubit(int(m.group(2)), int(m.group(3)))
            if sorted(out) != list(range(profile.num_qubits)):
                raise ProfileError(f"device {profile.name!r}: the 'cirq qubits' note does not list every qubit")
            return [out[i] for i in range(profile.num_qubits)]
    raise ProfileError(f"device {profile.name!r}: no 'cirq qubits:' note (not imported from cirq-google)")
