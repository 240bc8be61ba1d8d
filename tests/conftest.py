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
