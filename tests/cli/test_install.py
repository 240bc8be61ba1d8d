"""Issue #12, must-show 5: after `pip install .` the README's commands work from any folder.

A wheel is built from this checkout and installed (without dependencies, which
the test environment already has) into a temporary folder; the README's
commands then run from another folder through the wheel's console script: the
relative ``examples/...`` and ``calibration_data/...`` paths resolve to the
copies the wheel ships (``qpu_twin.paths.resolve_shipped``).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(folder on PYTHONPATH, console script) of qpu_twin installed from a wheel of this checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(tmp / "dist"), str(REPO)], check=True, timeout=900)
    (wheel,) = (tmp / "dist").glob("qpu_twin-*.whl")
    target = tmp / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True, timeout=900)
    assert (target / "qpu_twin" / "_shipped" / "examples" / "ghz.qasm").is_file()
    return target, target / "bin" / "qpu-twin"


def _readme_command_lines() -> list[str]:
    text = (REPO / "README.md").read_text()
    return [ln.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S) for ln in block.splitlines()
            if ln.strip().startswith(("qpu-twin ", "pip install . && qpu-twin "))]


def _run(installed, argv, cwd):
    target, script = installed
    env = dict(os.environ, PYTHONPATH=str(target))
    r = subprocess.run([str(script), *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr
    return r


@pytest.mark.slow
def test_wheel_runs_the_readme_main_job_from_any_folder(installed, tmp_path):
    target, _ = installed
    first = _readme_command_lines()[0]
    assert first.startswith("pip install . && qpu-twin run examples/")
    argv = shlex.split(first.split("&&", 1)[1])[1:]
    r = _run(installed, argv, tmp_path)
    assert "ibm_hanoi" in r.stdout and "counts (1000 shots, seed 7)" in r.stdout
    assert str(target) in r.stdout  # the circuit came from the wheel, not from the checkout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_wheel_runs_the_readme_bench_and_calibrate_lines_from_any_folder(installed, tmp_path):
    lines = _readme_command_lines()
    bench = next(ln for ln in lines if ln.startswith("qpu-twin bench calibration_data/"))
    dataset = shlex.split(bench)[2]
    r = _run(installed, ["bench", dataset, "--max-circuits", "2", "--models", "twin_aer", "--resamples", "10"],
             tmp_path)
    assert "ibm_repetition_codes_2022: 2 circuits on ibm_hanoi" in r.stdout and "twin_aer" in r.stdout
    cal = next(ln for ln in lines if ln.startswith("qpu-twin calibrate calibration_data/"))
    r = _run(installed, [a for a in shlex.split(cal)[1:] if not a.startswith("[")], tmp_path)
    assert "SQ_RB" in r.stdout
    assert list(tmp_path.iterdir()) == []  # no checkpoint or other file left behind
