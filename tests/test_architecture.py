"""The direction of dependency: import-linter's contracts in pyproject.toml hold.

The contracts ([tool.importlinter] in pyproject.toml) say which layer may import
which (nothing imports upward), that calibration knows neither benchmark nor fit,
and that no submodule imports the package root. import-linter runs in this
process, so it analyses the qpu_twin that the tests import: the checkout (pytest
puts the repository root first on sys.path), not an installed copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"

pytest.importorskip("importlinter", reason="import-linter is in the [test] extra")


def test_the_analysed_package_is_this_checkout():
    import qpu_twin

    assert Path(qpu_twin.__file__).resolve().parent == ROOT / "qpu_twin", (
        f"qpu_twin imported from {qpu_twin.__file__}, not from the checkout {ROOT}: "
        "import-linter would check another copy")


def test_contracts_are_declared():
    from importlinter.api import read_configuration

    contracts = {c["id"]: c for c in read_configuration(str(PYPROJECT))["contracts_options"]}
    assert contracts["layers"]["type"] == "layers" and str(contracts["layers"]["exhaustive"]).lower() == "true"
    assert contracts["layers"]["layers"][0:4] == ["__main__", "cli", "calibration | fit", "benchmark"]
    assert contracts["calibration-benchmark"]["type"] == "independence"
    assert contracts["calibration-fit"]["type"] == "independence"
    assert contracts["root"]["type"] == "forbidden"
    assert contracts["profiles"]["type"] == "layers"


def test_lint_imports_passes(capsys):
    from importlinter.cli import lint_imports

    code = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out, out
