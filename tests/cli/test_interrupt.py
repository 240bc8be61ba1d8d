"""Issue #12, must-show 3: Ctrl-C stops `bench` and `fit` cleanly, keeps a checkpoint, and --resume finishes
with results identical to an uninterrupted run.

Each test starts the command in a real subprocess, waits until its checkpoint
shows finished work, sends SIGINT (what Ctrl-C sends), then checks: exit
status 130, one line on stderr naming the checkpoint, the checkpoint is valid
JSON, no partial ``--report`` / ``-o`` output; then reruns with ``--resume`` and
compares the JSON report with an uninterrupted run's (run times excluded).

The default run uses a small synthetic dataset (line5 circuits, counts sampled
from the twin); the tests marked slow run the commands of the brief on the
shipped IBM data.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qpu_twin import load_profile
from qpu_twin.cli import main
from qpu_twin.fit import FitParameter, profile_with

from . import _synthetic

REPO = Path(__file__).resolve().parents[2]
RC = "calibration_data/ibm_repetition_codes_2022"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("interrupt") / "syn"
    data = _synthetic.measured(load_profile("line5"), _synthetic.circuits(18), shots=2000, seed=3)
    return _synthetic.dataset(folder, data)


def _start(argv, cwd):
    # SIGINT back to its default in the child, so Python installs its KeyboardInterrupt handler even when
    # the test runner itself was started with SIGINT ignored (e.g. as a background job)
    return subprocess.Popen([sys.executable, "-m", "qpu_twin", *argv], cwd=cwd,
                            env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _progress(path: Path, key: str) -> int:
    """Finished work recorded in a checkpoint (0 if it does not exist yet); the file is always whole JSON."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return 0
    return len(data["records"]) if key == "records" else int(data["done"])


def _interrupt(argv, cwd, checkpoint: Path, key: str, *, after: int = 1, timeout_s: float = 1200):
    """Run ``argv``; SIGINT once its checkpoint shows ``after`` finished units; (returncode, stdout, stderr)."""
    proc = _start(argv, cwd)
    t0 = time.monotonic()
    while _progress(checkpoint, key) < after:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"finished (status {proc.returncode}) before any checkpoint progress:\n{err}")
        if time.monotonic() - t0 > timeout_s:
            proc.kill()
            pytest.fail("no checkpoint progress in time")
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=timeout_s)
    return proc.returncode, out, err


def _resume(argv, cwd, *, timeout_s: float = 3600):
    r = subprocess.run([sys.executable, "-m", "qpu_twin", *argv, "--resume"], cwd=cwd, capture_output=True,
                       text=True, timeout=timeout_s, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _uninterrupted(argv, cwd, capsys, monkeypatch):
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _check_interrupted(code, out, err, checkpoint: Path, total: int, key: str) -> int:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 130, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("interrupted: ") and str(checkpoint) in lines[0] and "--resume" in lines[0]
    assert out == ""  # nothing reported for an unfinished run
    done = _progress(checkpoint, key)  # valid JSON, written atomically
    assert 1 <= done < total, (done, total)
    assert not list(checkpoint.parent.glob(f".{checkpoint.name}.*")), "a temporary checkpoint file was left"
    return done


def _bench_metrics(report: dict) -> dict:
    """The report without run times (everything else must be identical)."""
    models = {n: {k: v for k, v in e.items() if k not in ("seconds", "seconds_per_circuit")}
              for n, e in report["models"].items()}
    return {"models": models, "circuits": report["circuits"], "meta": report["meta"]}


def _fit_results(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "seconds"}


def _bench_case(dataset, argv_opts, total, tmp_path, capsys, monkeypatch):
    work, ref = tmp_path / "work", tmp_path / "ref"
    work.mkdir()
    ref.mkdir()
    ck = work / "bench.checkpoint.json"
    argv = ["bench", str(dataset), *argv_opts, "--json", "--checkpoint", str(ck), "--checkpoint-every", "0"]
    code, out, err = _interrupt([*argv, "--report", str(work / "report")], work, ck, "records")
    done = _check_interrupted(code, out, err, ck, total, "records")
    assert f"after {done} of {total} circuits" in err
    assert not (work / "report").exists(), "a partial report was written"
    resumed = _resume(argv, work)
    assert not ck.exists(), "the checkpoint of a completed run is deleted"
    reference = _uninterrupted([*argv[:-4], "--checkpoint", str(ref / "ck.json")], ref, capsys, monkeypatch)
    assert resumed["meta"]["circuits"] == total
    assert _bench_metrics(resumed) == _bench_metrics(reference)
    assert list(ref.iterdir()) == []  # the uninterrupted run deleted its checkpoint too


def _fit_case(dataset, argv_opts, tmp_path, capsys, monkeypatch, *, after: int = 1):
    work, ref = tmp_path / "work", tmp_path / "ref"
    work.mkdir()
    ref.mkdir()
    ck = work / "fit.checkpoint.json"
    argv = ["fit", str(dataset), *argv_opts, "--json", "--checkpoint", str(ck)]
    code, out, err = _interrupt([*argv, "-o", str(work / "fitted.yaml")], work, ck, "done", after=after)
    stopped = re.search(r"fit stopped after (\d+) of (\d+) steps", err)
    assert stopped, err  # interrupted during the fit itself (not after it)
    done = _check_interrupted(code, out, err, ck, int(stopped.group(2)), "done")
    assert done == int(stopped.group(1))
    assert not (work / "fitted.yaml").exists(), "a partial fitted profile was written"
    resumed = _resume(argv, work)
    assert not ck.exists()
    reference = _uninterrupted([*argv[:-2], "--checkpoint", str(ref / "ck.json")], ref, capsys, monkeypatch)
    assert resumed["parameters"] == reference["parameters"]  # the fitted parameter table, bit for bit
    assert _fit_results(resumed) == _fit_results(reference)
    assert list(ref.iterdir()) == []


def test_bench_interrupt_and_resume(synthetic, tmp_path, capsys, monkeypatch):
    _bench_case(synthetic, ["--models", "twin_lindblad,twin_aer", "--resamples", "20"], 18, tmp_path, capsys,
                monkeypatch)


def test_fit_interrupt_and_resume(synthetic, tmp_path, capsys, monkeypatch):
    _fit_case(synthetic, ["--kinds", "p10,p01", "--sweeps", "20"], tmp_path, capsys, monkeypatch)


@pytest.mark.slow
def test_bench_interrupt_and_resume_ibm_data(tmp_path, capsys, monkeypatch):
    """The brief's command on 6 real ibm_hanoi circuits (a few minutes)."""
    _bench_case(REPO / RC, ["--max-circuits", "6", "--models", "twin_lindblad,twin_aer", "--resamples", "20"], 6,
                tmp_path, capsys, monkeypatch)


@pytest.mark.slow
def test_fit_interrupt_and_resume_ibm_data(tmp_path, capsys, monkeypatch):
    """The readout fit of 3 real training circuits (6 steps), interrupted after the first."""
    _fit_case(REPO / RC, ["--max-circuits", "6", "--kinds", "p10,p01", "--sweeps", "5"], tmp_path, capsys,
              monkeypatch)


@pytest.fixture(scope="module")
def synthetic_cx(tmp_path_factory):
    folder = tmp_path_factory.mktemp("interrupt_cx") / "syn"
    qcs = _synthetic.cx_circuits(6) + _synthetic.circuits(18)[::3]
    truth = profile_with(load_profile("line5"), [FitParameter("gate_error", ("cx", (0, 1)), 0.03)])
    return _synthetic.dataset(folder, _synthetic.measured(truth, qcs, shots=2000, seed=5))


@pytest.mark.slow
def test_fit_interrupt_after_a_quantum_step_and_resume(synthetic_cx, tmp_path, capsys, monkeypatch):
    """Interrupted after a gate-error step moved the profile: the resumed fit rebuilds its twin from the
    checkpoint (the uninterrupted one derives it step by step) and must still agree bit for bit."""
    _fit_case(synthetic_cx, ["--kinds", "p10,p01,gate_error", "--sweeps", "3"], tmp_path, capsys, monkeypatch,
              after=2)


def test_resume_needs_the_same_run(synthetic, tmp_path, capsys, monkeypatch):
    """A checkpoint resumes only the run that wrote it (here: other bootstrap settings)."""
    monkeypatch.chdir(tmp_path)
    from qpu_twin.benchmark import default_models, load_dataset, run_benchmark

    ds = load_dataset(synthetic).subset(2)
    ck = tmp_path / "ck.json"
    run_benchmark(ds, default_models(ds, include=["twin_aer"]), resamples=5, checkpoint=ck, keep_checkpoint=True)
    assert ck.exists()
    code = main(["bench", str(synthetic), "--max-circuits", "2", "--models", "twin_aer", "--resamples", "6",
                 "--checkpoint", str(ck), "--resume"])
    err = capsys.readouterr().err
    assert code == 1 and "belongs to another run: its resamples differs" in err
