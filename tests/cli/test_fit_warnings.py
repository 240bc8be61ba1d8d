"""Issue #12, must-show 7: `fit` warns when the fitted twin predicts the held-out circuits worse than the
datasheet twin, and flags parameters that end on a bound of their search.

Synthetic readout datasets on line5 (basis-state circuits, counts sampled from
the twin of a known profile) make each situation happen for a known reason:

* unrepresentative training data: the training circuits come from a device
  whose readout drifted (p10 = 0.08, p01 = 0.10 on qubits 0-2), the held-out
  ones from the datasheet device (0.01, 0.03) itself; the fit follows the
  training data, so it must predict the held-out circuits worse;
* data beyond a bound: the CX on (0, 1) has error 0.3, far above the datasheet's
  0.01 and beyond the fit's search interval for it (the datasheet value times
  e^2.5 ~ 12, i.e. at most 0.122: gate errors are searched in log space,
  2.5 prior widths around the start);
* the control: every circuit from the drifted device; the fit recovers it, no
  warning.

The differences are far outside shot noise: with 4000 shots per circuit the
standard error of a readout probability near 0.1 is sqrt(0.1*0.9/4000/8) ~ 0.002
(8 training circuits), against shifts of 0.05 and more. (The datasheet prior,
sigma = 0.005 for p(1|0) = 0.01, holds the fitted values short of the truth.)
"""

from __future__ import annotations

import json
import math

import pytest

from qpu_twin import load_profile
from qpu_twin.cli import main
from qpu_twin.fit import FitParameter, profile_with
from qpu_twin.fit.heldout import split_circuits

from . import _synthetic

LINE5 = load_profile("line5")
SHOTS = 4000
DRIFTED = profile_with(LINE5, [FitParameter(k, (q,), v) for q in range(3) for k, v in (("p10", 0.08),
                                                                                       ("p01", 0.10))])
BEYOND = profile_with(LINE5, [FitParameter("gate_error", ("cx", (0, 1)), 0.3)])


def _basis_circuits():
    return _synthetic.circuits(48)[::3]  # 16 basis-state circuits: every 3-bit state twice


def _fit_json(folder, capsys, *extra, kinds="p10,p01"):
    capsys.readouterr()
    code = main(["fit", str(folder), "--kinds", kinds, "--sweeps", "1", "--json",
                 "--checkpoint", str(folder.parent / f"{folder.name}.checkpoint.json"), *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out), [ln for ln in err.splitlines() if ln.startswith("warning: ")]


@pytest.fixture(scope="module")
def unrepresentative(tmp_path_factory):
    qcs = _basis_circuits()
    names = [f"c{i}" for i in range(len(qcs))]
    drifted = _synthetic.measured(DRIFTED, qcs, shots=SHOTS, seed=1, names=names)
    sheet = _synthetic.measured(LINE5, qcs, shots=SHOTS, seed=2, names=names)
    train = {c.name for c in split_circuits(drifted, train_fraction=0.5, seed=0).train}  # what `fit` will train on
    data = [d if d.name in train else s for d, s in zip(drifted, sheet)]
    return _synthetic.dataset(tmp_path_factory.mktemp("unrepresentative") / "ds", data)


@pytest.fixture(scope="module")
def representative(tmp_path_factory):
    data = _synthetic.measured(DRIFTED, _basis_circuits(), shots=SHOTS, seed=3)
    return _synthetic.dataset(tmp_path_factory.mktemp("representative") / "ds", data)


@pytest.fixture(scope="module")
def beyond_bound(tmp_path_factory):
    data = _synthetic.measured(BEYOND, _synthetic.cx_circuits(), shots=SHOTS, seed=4)
    return _synthetic.dataset(tmp_path_factory.mktemp("beyond") / "ds", data)


def test_warns_when_the_fit_is_worse_on_held_out_circuits(unrepresentative, capsys):
    rep, warned = _fit_json(unrepresentative, capsys)
    fitted, sheet = rep["heldout"]["fitted_twin"]["mean_hellinger"], rep["heldout"]["datasheet_twin"]["mean_hellinger"]
    assert fitted > sheet + 0.02, (fitted, sheet)  # the situation is real, not a rounding effect
    for r in rep["parameters"]:  # the fit followed the (drifted) training data, most of the way
        truth = 0.08 if r["kind"] == "p10" else 0.10
        assert abs(r["fitted"] - truth) < 0.5 * abs(r["datasheet"] - truth), r
    notes = [w for w in rep["warnings"] if "worse than the datasheet twin" in w]
    assert len(notes) == 1 and f"mean Hellinger {fitted:.4f} > {sheet:.4f}" in notes[0]
    assert any("worse than the datasheet twin" in w for w in warned)  # printed, one line each, on stderr


def test_no_warning_when_the_fit_is_better(representative, capsys):
    rep, warned = _fit_json(representative, capsys)
    assert rep["heldout"]["fitted_twin"]["mean_hellinger"] < rep["heldout"]["datasheet_twin"]["mean_hellinger"]
    assert rep["warnings"] == [] and warned == []
    assert rep["parameters_at_bound"] == []
    for r in rep["parameters"]:
        truth = 0.08 if r["kind"] == "p10" else 0.10
        assert abs(r["fitted"] - truth) < 0.5 * abs(r["datasheet"] - truth), r
        assert not r["at_bound"]


def test_flags_a_parameter_pushed_beyond_its_bound(beyond_bound, capsys):
    rep, warned = _fit_json(beyond_bound, capsys, kinds="gate_error")
    (row,) = rep["parameters"]
    label = row["parameter"]
    assert label.startswith("gate_error") and "cx" in label
    assert rep["parameters_at_bound"] == [label] and row["at_bound"]
    assert row["fitted"] == pytest.approx(0.01 * math.exp(2.5), rel=0.01)  # the top of its search interval
    notes = [w for w in rep["warnings"] if "ended on a bound" in w]
    assert len(notes) == 1 and notes[0].startswith("1 fitted parameter(s)") and label in notes[0]
    assert any("ended on a bound" in w and label in w for w in warned)


def test_text_output_marks_the_bound(beyond_bound, capsys):
    capsys.readouterr()
    assert main(["fit", str(beyond_bound), "--kinds", "gate_error", "--sweeps", "1",
                 "--checkpoint", str(beyond_bound.parent / "text.checkpoint.json")]) == 0
    out, err = capsys.readouterr()
    (line,) = [ln for ln in out.splitlines() if ln.startswith("gate_error")]
    assert line.rstrip().endswith("at bound")
    assert "warning: 1 fitted parameter(s) ended on a bound" in err
