"""Shared fixtures."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def _line5_dict():
    from qpu_twin import load_profile

    return load_profile("line5").to_dict()


@pytest.fixture
def line5_dict(_line5_dict):
    """A fresh, mutable dict of the valid line5 profile."""
    return copy.deepcopy(_line5_dict)


@pytest.fixture(scope="session")
def near_ideal_line5():
    """line5 with (almost) instantaneous, error-free 1q gates and no ZZ: analytic idle physics.

    1q gates last 1e-3 ns (their decoherence is ~1e-8) and state error 0, so
    the twin uses decoherence only for them; readout is switched off in the
    tests via the noise options.
    """
    from qpu_twin import load_profile

    d = load_profile("line5").to_dict()
    for g in d["gates"]:
        if g["name"] in ("sx", "x", "id"):
            g["duration_ns"] = 1e-3
            g["error"] = 0.0
    d["crosstalk"] = {}
    d["name"] = "line5_near_ideal"
    from qpu_twin import DeviceProfile

    return DeviceProfile.model_validate(d)


@pytest.fixture
def in_tmp_path(tmp_path, monkeypatch):
    """Run in an empty folder: commands that write into the current folder (default checkpoints) stay
    out of the repository, and parallel tests do not share files."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
