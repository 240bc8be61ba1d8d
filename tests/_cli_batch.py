"""Run many ``qpu-twin`` command lines in ONE fresh Python process, each with its own time limit.

Starting a process per command line costs seconds (Qiskit, QuTiP imports), so
the malformed-input tests run their whole sample in one child process: each
command is ``qpu_twin.cli.main(argv)`` with stdout/stderr captured and a
``signal.alarm`` time limit (a hang is reported, not waited for); the child
itself runs under a subprocess timeout. A few cases also go through a real
``python -m qpu_twin`` process (:func:`run_module`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r'''
import contextlib, io, json, signal, sys, traceback
cases = json.loads(sys.stdin.read())
from qpu_twin.cli import main

class Hang(BaseException):
    pass

def on_alarm(signum, frame):
    raise Hang()

signal.signal(signal.SIGALRM, on_alarm)
for argv, limit in cases:
    out, err = io.StringIO(), io.StringIO()
    status, hung, crash = None, False, ""
    signal.alarm(limit)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(argv)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except Hang:
        hung = True
    except BaseException:
        crash = traceback.format_exc()
    finally:
        signal.alarm(0)
    print(json.dumps({"argv": argv, "status": status, "hung": hung, "crash": crash,
                      "stderr": err.getvalue()[-2000:], "stdout": out.getvalue()[-500:]}), flush=True)
'''


def run_batch(cases: list[list[str]], *, limit_each: int = 60, timeout: float = 600) -> list[dict]:
    """Each ``argv`` of ``cases`` through ``qpu_twin.cli.main`` in one child process; one record per case."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps([[c, limit_each] for c in cases]),
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=str(ROOT))
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(records) == len(cases), f"child process died: {proc.stderr[-3000:]}"
    return records


def problems(records: list[dict]) -> list[str]:
    """Every record that is not a clean one-line error: tracebacks, internal errors, hangs, exit 0."""
    bad = []
    for r in records:
        err = r["stderr"]
        if r["hung"]:
            bad.append(f"HANG: {r['argv']}")
        elif r["crash"]:
            bad.append(f"TRACEBACK: {r['argv']}: {r['crash'][-400:]}")
        elif "Traceback" in err or "internal error" in err:
            bad.append(f"TRACEBACK/internal error: {r['argv']}: {err[-400:]}")
        elif r["status"] == 0:
            bad.append(f"ACCEPTED (exit 0): {r['argv']}")
        elif len([ln for ln in err.splitlines() if ln.strip()]) != 1:
            bad.append(f"not one line: {r['argv']}: {err[-400:]}")
    return bad


def run_module(argv: list[str], *, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m qpu_twin ARGV`` in a fresh process (raises ``subprocess.TimeoutExpired`` on a hang)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "qpu_twin", *argv], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=str(ROOT))
