"""Import a Quantinuum trapped-ion machine from its published spec-sheet rows.

Sources (copied in ``calibration_data/quantinuum/`` with their Apache-2.0
LICENSE, from github.com/CQCL/quantinuum-hardware-specifications):

* ``Spec_sheet_parameters.csv``: Quantinuum's published errors per machine and
  date, with uncertainties in parenthesis notation (``2.15(8)E-03`` means
  2.15e-3 +- 0.08e-3). "1Q error" / "2Q error" are average infidelities per
  gate from randomized benchmarking; "SPAM error" the mean state-preparation
  and measurement error; "Transport 1Q error" the memory (idle + transport)
  error per step; "MCM error" the spectator error per mid-circuit measurement.
* ``Emulator_parameters.csv``: Quantinuum's emulator noise parameters; we read
  ``p_meas_0`` = p(1|0) and ``p_meas_1`` = p(0|1) (asymmetric readout).

Modelling choices (recorded in the profile's provenance):

* All-to-all connectivity: the native two-qubit gate ``rzz`` (ZZPhase; the RB
  gate is ZZMax = rzz(pi/2)) on every unordered pair; native one-qubit gate
  ``r`` (U1q = R(theta, phi)); ``rz`` is virtual.
* No T1 (``t1_us=None``): hyperfine qubits do not decay on circuit time scales.
* T2 from the memory error per step r: a dephasing channel with Z-flip
  probability p has average infidelity 2p/3, so p = 3r/2, and
  p = (1 - exp(-t/T2))/2 for a step of duration t gives T2 = -t/ln(1 - 2p).
* Durations are **not** in the source. The defaults below are order-of-
  magnitude assumptions (QCCD gate zones: tens of us per gate, ~100 us
  readout, ~1 ms per transport/memory step); pass your own values.
"""

from __future__ import annotations

import csv
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...errors import ProfileError
from ...paths import calibration_data_dir
from ._common import ImportLog, qpu_twin_version

_UNC_RE = re.compile(r"^\s*([+-]?\d+)(?:\.(\d+))?\((\d+)\)(?:[eE]([+-]?\d+))?\s*$")

#: Physical qubit count by machine (and from which date).
_NUM_QUBITS = {"H1-1": [("0000-00-00", 20)], "H1-2": [("0000-00-00", 20)], "H2-1": [("0000-00-00", 32), ("2024-05-20", 56)]}


def parse_uncertainty(text: str) -> tuple[float, float | None]:
    """Parse ``"2.15(8)E-03"`` -> ``(2.15e-3, 8e-5)``; a plain number -> ``(x, None)``.

    The digits in parentheses are the standard error on the last digits of
    the mantissa, as in the spec sheets (and the CODATA convention).
    """
    m = _UNC_RE.match(text)
    if m:
        whole, frac, unc, exp = m.groups()
        frac = frac or ""
        scale = 10.0 ** int(exp or 0)
        value = float(f"{whole}.{frac}" if frac else whole) * scale
        sigma = int(unc) * 10.0 ** (-len(frac)) * scale
        return value, sigma
    try:
        return float(text), None
    except ValueError:
        raise ProfileError(f"cannot parse {text!r} as a number or value(uncertainty) like '2.15(8)E-03'") from None


def _norm_date(date: str) -> str:
    d = str(date).strip().replace("_", "-")
    try:
        datetime.strptime(d, "%Y-%m-%d")
    except ValueError:
        raise ProfileError(f"date={date!r}: expected YYYY-MM-DD or YYYY_MM_DD") from None
    return d


def _read_row(path: Path, machine: str, date: str) -> dict[str, str] | None:
    if not path.is_file():
        raise ProfileError(f"Quantinuum parameter file {str(path)!r} does not exist")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for field in ("Date", "Machine"):
            if reader.fieldnames is None or field not in reader.fieldnames:
                raise ProfileError(f"{path}: missing column {field!r} (columns: {reader.fieldnames})")
        for row in reader:
            if row["Machine"].strip() == machine and _norm_date(row["Date"]) == date:
                return row
    return None


def profile_data_from_quantinuum_spec(
    machine: str,
    date: str,
    *,
    spec_csv: str | Path | None = None,
    emulator_csv: str | Path | None = None,
    num_qubits: int | None = None,
    name: str | None = None,
    gate_1q_duration_us: float = 10.0,
    gate_2q_duration_us: float = 25.0,
    readout_duration_us: float = 120.0,
    memory_step_duration_us: float = 1000.0,
) -> tuple[dict[str, Any], ImportLog]:
    """Build a profile for Quantinuum ``machine`` (``"H1-1"``) on ``date`` (``"2023-01-20"``).

    Parameters
    ----------
    machine, date : str
        A (Machine, Date) row of ``Spec_sheet_parameters.csv``.
    spec_csv, emulator_csv : path, optional
        Default: the copies in ``calibration_data/quantinuum/``.
    num_qubits : int, optional
        Default: 20 for H1-x, 32 for H2-1 (56 from 2024-05-20, the register
        size in that date's benchmark files).
    gate_1q_duration_us, gate_2q_duration_us, readout_duration_us, memory_step_duration_us : float
        Durations the source does not give (assumptions, recorded).
    """
    date = _norm_date(date)
    folder = calibration_data_dir() / "quantinuum"
    spec_path = Path(spec_csv) if spec_csv else folder / "Spec_sheet_parameters.csv"
    emu_path = Path(emulator_csv) if emulator_csv else folder / "Emulator_parameters.csv"
    spec = _read_row(spec_path, machine, date)
    if spec is None:
        raise ProfileError(f"{spec_path}: no row for Machine={machine!r}, Date={date!r}")
    emu = _read_row(emu_path, machine, date) if emu_path.is_file() else None
    pname = name or f"quantinuum_{machine.lower()}"
    log = ImportLog(pname)

    def val(row: dict[str, str], col: str, required: bool = True) -> tuple[float | None, float | None]:
        text = (row.get(col) or "").strip()
        if not text:
            if required:
                raise ProfileError(f"{spec_path}: {machine} {date}: column {col!r} is empty")
            return None, None
        try:
            return parse_uncertainty(text)
        except ProfileError as exc:
            raise ProfileError(f"{spec_path}: {machine} {date}: column {col!r}: {exc}") from None

    e1, s1 = val(spec, "1Q error")
    e2, s2 = val(spec, "2Q error")
    spam, spam_s = val(spec, "SPAM error")
    mem, mem_s = val(spec, "Transport 1Q error", required=False)
    mcm, mcm_s = val(spec, "MCM error", required=False)
    leak1, _ = val(spec, "1Q leakage", required=False)
    leak2, _ = val(spec, "2Q leakage", required=False)

    if num_qubits is None:
        table = _NUM_QUBITS.get(machine)
        if table is None:
            raise ProfileError(f"machine={machine!r}: qubit count unknown, pass num_qubits=")
        num_qubits = [nq for since, nq in table if since <= date][-1]
    n = int(num_qubits)

    # readout: the emulator's asymmetric values if present, else the SPAM error
    if emu is not None and emu.get("p_meas_0") and emu.get("p_meas_1"):
        p10, p01 = float(emu["p_meas_0"]), float(emu["p_meas_1"])
        ro_note = "readout p(1|0)=p_meas_0, p(0|1)=p_meas_1 from Emulator_parameters.csv"
    else:
        p10 = p01 = spam
        ro_note = "readout p(1|0)=p(0|1)=SPAM error (no emulator row)"
        log.adjust("qubits", "prob_meas1_prep0/prob_meas0_prep1", None, spam, ro_note, warn=False)

    t2_us = None
    if mem is not None and mem > 0:
        p = 1.5 * mem
        t2_us = -memory_step_duration_us / math.log(1.0 - 2.0 * p)
        log.adjust(
            "qubits",
            "t2_us",
            mem,
            t2_us,
            f"derived from memory error per step r={mem:g} with assumed step duration "
            f"{memory_step_duration_us:g} us: p=3r/2, T2=-t/ln(1-2p)",
            warn=False,
        )
    for field, value in (
        ("gate r duration_ns", gate_1q_duration_us * 1e3),
        ("gate rzz duration_ns", gate_2q_duration_us * 1e3),
        ("readout_duration_ns", readout_duration_us * 1e3),
    ):
        log.adjust("device", field, None, value, "not in the source: assumed (override with keyword arguments)", warn=False)

    qubits = []
    for i in range(n):
        q: dict[str, Any] = {
            "index": i,
            "t1_us": None,
            "t2_us": t2_us,
            "prob_meas1_prep0": p10,
            "prob_meas0_prep1": p01,
            "readout_duration_ns": readout_duration_us * 1e3,
        }
        qubits.append(q)
    gates: list[dict[str, Any]] = []
    for i in range(n):
        gates.append({"name": "rz", "qubits": [i], "error": 0.0, "duration_ns": 0.0})
        g = {"name": "r", "qubits": [i], "error": e1, "duration_ns": gate_1q_duration_us * 1e3}
        if s1 is not None:
            g["uncertainty"] = {"error": s1}
        gates.append(g)
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    for a, b in pairs:
        g = {"name": "rzz", "qubits": [a, b], "error": e2, "duration_ns": gate_2q_duration_us * 1e3}
        if s2 is not None:
            g["uncertainty"] = {"error": s2}
        gates.append(g)
    meas_xt = []
    if mcm is not None:
        entry: dict[str, Any] = {"measured": None, "spectator": None, "error": mcm}
        if mcm_s is not None:
            entry["uncertainty"] = {"error": mcm_s}
        meas_xt.append(entry)

    notes = [
        f"Spec_sheet_parameters.csv row {machine} {date}: " + ", ".join(f"{k}={v}" for k, v in spec.items() if v),
        ro_note,
        "1Q/2Q error: average infidelity per gate from Clifford RB (Quantinuum convention, see the spec sheet).",
        f"SPAM error {spam:g} (+- {spam_s}) is the mean of p(1|0) and p(0|1) on the data sheet.",
    ]
    if emu is not None:
        notes.append("Emulator_parameters.csv row: " + ", ".join(f"{k}={v}" for k, v in emu.items() if v))
    if leak1 is not None or leak2 is not None:
        notes.append(f"leakage per gate (not modelled in the profile): 1Q={leak1}, 2Q={leak2}")
    data = {
        "name": pname,
        "vendor": "Quantinuum",
        "technology": "trapped_ion",
        "timestamp": datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=timezone.utc),
        "num_qubits": n,
        "description": f"Quantinuum {machine} (171Yb+ QCCD trapped-ion), all-to-all connectivity, data sheet of {date}.",
        "qubits": qubits,
        "gates": gates,
        "coupling_map": pairs,
        "crosstalk": {"measurement": meas_xt},
        "provenance": {
            "source": f"{spec_path.name} / {emu_path.name} (github.com/CQCL/quantinuum-hardware-specifications)",
            "method": "DeviceProfile.from_quantinuum_spec (vendor spec sheet; date only, taken as 00:00 UTC)",
            "imported_with": qpu_twin_version(),
            "references": ["https://github.com/CQCL/quantinuum-hardware-specifications"],
            "notes": notes,
            "adjustments": log.adjustments,
        },
    }
    return data, log
