"""The qpu-twin command line (in-process via main(), plus one real console-script call)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from qpu_twin import load_profile
from qpu_twin.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_profile_list(capsys):
    code, out, _ = run(capsys, "profile", "list")
    assert code == 0
    for name in ("ibm_hanoi", "ibm_sherbrooke", "ibm_torino", "line5", "quantinuum_h1-1", "quantinuum_h2-1"):
        assert name in out


def test_profile_show_text(capsys):
    code, out, _ = run(capsys, "profile", "show", "ibm_hanoi")
    assert code == 0
    s = load_profile("ibm_hanoi").summary()
    assert "ibm_hanoi" in out and "27 qubits" in out and "2022-05-18" in out
    assert f"{s['median_t1_us']:.4g}" in out  # the median T1 is printed
    assert "cx" in out and "dead" in out


def test_profile_show_json(capsys):
    code, out, _ = run(capsys, "profile", "show", "ibm_hanoi", "--json")
    assert code == 0
    data = json.loads(out)
    assert data == json.loads(json.dumps(load_profile("ibm_hanoi").summary()))
    assert data["gates"]["cx"]["non_operational"] == 2


def test_profile_validate_ok(capsys, repo_root):
    code, out, _ = run(capsys, "profile", "validate", str(repo_root / "device_profiles" / "line5.yaml"))
    assert code == 0 and out.startswith("OK")


def test_profile_validate_bad_file(capsys, tmp_path):
    data = load_profile("line5").to_dict()
    data["qubits"][1]["prob_meas0_prep1"] = 1.7
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    code, out, err = run(capsys, "profile", "validate", str(bad))
    assert code == 1
    assert "qubit 1: prob_meas0_prep1=1.7" in err and str(bad) in err


def test_profile_validate_not_yaml(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(":\n  - [\n")
    code, _, err = run(capsys, "profile", "validate", str(bad))
    assert code == 1 and "not valid YAML" in err


def test_profile_import_fake(capsys, tmp_path):
    out_path = tmp_path / "athens.yaml"
    code, out, _ = run(capsys, "profile", "import", "--qiskit-fake", "athens", "-o", str(out_path))
    assert code == 0 and "wrote" in out
    p = load_profile(out_path)
    assert p.num_qubits == 5 and "athens" in p.name


def test_profile_import_unknown_fake(capsys, tmp_path):
    code, _, err = run(capsys, "profile", "import", "--qiskit-fake", "atlantis", "-o", str(tmp_path / "x.yaml"))
    assert code == 1 and "'atlantis'" in err and "sherbrooke" in err


def test_profile_import_quantinuum(capsys, tmp_path):
    out_path = tmp_path / "h1.json"
    code, _, _ = run(capsys, "profile", "import", "--quantinuum", "H1-1", "--date", "2023-01-20", "-o", str(out_path))
    assert code == 0 and load_profile(out_path) == load_profile("quantinuum_h1-1")


def test_profile_import_ibm_json(capsys, tmp_path, repo_root):
    src = repo_root / "calibration_data" / "ibm_repetition_codes_2022" / "625558bd3bfc767795eac3ce__ibm_hanoi.json"
    out_path = tmp_path / "hanoi.yaml"
    code, _, _ = run(capsys, "profile", "import", "--ibm-json", str(src), "-o", str(out_path))
    assert code == 0
    assert load_profile(out_path).gates == load_profile("ibm_hanoi").gates


def test_profile_schema(capsys):
    code, out, _ = run(capsys, "profile", "schema")
    schema = json.loads(out)
    assert code == 0 and schema["title"] == "DeviceProfile" and "qubits" in schema["properties"]


def test_unknown_profile(capsys):
    code, _, err = run(capsys, "profile", "show", "nope")
    assert code == 1 and "no profile named 'nope'" in err


def test_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["profile"])
    assert info.value.code == 2


def test_console_script_is_installed():
    import sys
    from pathlib import Path

    local = Path(sys.executable).parent / "qpu-twin"
    exe = str(local) if local.exists() else shutil.which("qpu-twin")
    assert exe, "the qpu-twin console script is not on PATH (is the package installed?)"
    r = subprocess.run([exe, "profile", "show", "line5", "--json"], capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["num_qubits"] == 5


# ---------------------------------------------------------------- run
def test_run_text(capsys, repo_root):
    code, out, _ = run(capsys, "run", str(repo_root / "examples" / "ghz.qasm"), "--profile", "line5",
                       "--shots", "500", "--seed", "3")
    assert code == 0 and "000" in out and "111" in out and "counts (500 shots, seed 3)" in out


def test_run_json_exact_matches_api(capsys, repo_root):
    from qpu_twin import Twin

    path = str(repo_root / "examples" / "ghz.qasm")
    code, out, _ = run(capsys, "run", path, "--profile", "line5", "--exact", "--json", "--seed", "5")
    data = json.loads(out)
    assert code == 0 and data["counts"] is None
    ref = Twin("line5").run(path, seed=5).probabilities
    assert data["probabilities"] == pytest.approx(ref, abs=1e-15)


def test_run_plot(capsys, repo_root, tmp_path):
    png = tmp_path / "d.png"
    code, _, _ = run(capsys, "run", str(repo_root / "examples" / "ghz.qasm"), "--profile", "line5",
                     "--seed", "1", "--plot", str(png))
    assert code == 0 and png.stat().st_size > 1000


def test_run_bad_qasm(capsys, tmp_path):
    bad = tmp_path / "bad.qasm"
    bad.write_text("OPENQASM 2.0;\nqreg q[2];\nh q[0];\n")
    code, _, err = run(capsys, "run", str(bad), "--profile", "line5")
    assert code == 1 and "malformed OpenQASM" in err


def test_run_bad_shots(capsys, repo_root):
    with pytest.raises(SystemExit) as info:
        main(["run", str(repo_root / "examples" / "ghz.qasm"), "--profile", "line5", "--shots", "0"])
    err = capsys.readouterr().err
    assert info.value.code == 1 and "--shots: 0 must be >= 1" in err


# ---------------------------------------------------------------- help (issue #12)
def _all_parsers():
    """(command words, parser) for the top level and every subcommand, recursively."""
    import argparse

    from qpu_twin.cli import build_parser

    out, todo = [], [((), build_parser())]
    while todo:
        words, parser = todo.pop()
        out.append((words, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [((*words, name), sub) for name, sub in action.choices.items()]
    return out


def test_help_describes_every_option_and_its_default():
    import argparse

    parsers = _all_parsers()
    assert len(parsers) >= 14  # top, profile (+5), run, calibrate (+3), bench, fit
    for words, parser in parsers:
        text = parser.format_help()
        assert parser.description, f"`qpu-twin {' '.join(words)} --help` has no description"
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            name = "/".join(action.option_strings) or action.dest
            assert action.help and len(action.help) > 8, f"{' '.join(words)} {name}: no description"
            if action.default not in (None, False, argparse.SUPPRESS) and action.option_strings:
                shown = parser._get_formatter()._get_help_string(action) % {"default": action.default}
                assert "default" in shown.lower() and " ".join(shown.split()) in " ".join(text.split()), (
                    f"{' '.join(words)} {name}: default {action.default!r} not shown")


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit) as info:
        main(["bench", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert info.value.code == 0
    assert "bootstrap resamples for the intervals (1 to 100000) (default: 200)" in out
    assert "(default: 60.0)" in out and "--resume" in out


def test_calibrate_help_lists_its_commands(capsys):
    with pytest.raises(SystemExit):
        main(["calibrate", "--help"])
    out = capsys.readouterr().out
    for name in ("analyse", "run", "drift"):
        assert f"    {name} " in out, out
    assert "`calibrate FILE` is short for `calibrate analyse FILE`" in out


def test_top_level_help_names_commands_and_exit_status(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in ("profile", "run", "calibrate", "bench", "fit"):
        assert f"    {name} " in out
    assert "Exit status" in out and "--debug" in out and "--resume" in out


# ---------------------------------------------------------------- run: too many outcomes to enumerate
def test_run_shows_top_sampled_outcomes_when_not_enumerable(capsys, tmp_path):
    """21 classical bits (> the tensor network's max_enumerate=20): the most frequent sampled outcomes."""
    n = 21
    lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', f"qreg q[{n}];", f"creg c[{n}];", "sx q[0];"]
    lines += [f"x q[{i}];" for i in range(1, n, 2)]
    lines.append("measure q -> c;")
    path = tmp_path / "wide.qasm"
    path.write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, "run", str(path), "--profile", "ibm_hanoi", "--engine", "tensor_network",
                       "--no-transpile", "--noise", "ideal", "--shots", "400", "--seed", "2", "--top", "2")
    assert code == 0
    assert "exact distribution not enumerated (21 classical bits > max_enumerate=20)" in out
    assert "the 2 most frequent of 2 sampled outcomes" in out
    odd = "".join("1" if i % 2 else "0" for i in reversed(range(n)))  # clbit 0 rightmost
    rows = [ln.split() for ln in out.splitlines() if ln.strip().startswith(odd[:-1])]
    assert sorted(r[0] for r in rows) == [odd, odd[:-1] + "1"]  # qubit 0 in |0>+|1>, the odd ones flipped
    counts = [int(r[1]) for r in rows]
    assert sum(counts) == 400
    # a fair coin for qubit 0: 5 sigma of the binomial
    assert abs(counts[0] - 200) <= 5 * (400 * 0.25) ** 0.5


def test_bad_output_paths_fail_before_any_work(capsys, monkeypatch, tmp_path, repo_root):
    """--plot / -o / --report into a missing folder are refused before the twin (or a dataset) is touched."""
    import qpu_twin.data
    import qpu_twin.twin

    def no_work(*args, **kwargs):
        raise AssertionError("work started before the output path was checked")

    monkeypatch.setattr(qpu_twin.twin.Twin, "__init__", no_work)
    monkeypatch.setattr(qpu_twin.data, "load_dataset", no_work)
    missing = tmp_path / "no_such_folder"
    for argv in (["run", str(repo_root / "examples" / "ghz.qasm"), "--profile", "line5", "--plot",
                  str(missing / "d.png")],
                 ["fit", str(repo_root / "calibration_data" / "ibm_repetition_codes_2022"), "-o",
                  str(missing / "f.yaml")],
                 ["bench", str(repo_root / "calibration_data" / "ibm_repetition_codes_2022"), "--report",
                  str(missing / "sub" / "report")]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 1
        assert "does not exist" in capsys.readouterr().err
    assert not missing.exists()


def test_parser_choices_match_the_library():
    from qpu_twin.calibration import EXPERIMENTS
    from qpu_twin.cli import calibrate, fit
    from qpu_twin.fit.heldout import SPLITS

    assert tuple(sorted(EXPERIMENTS)) == calibrate.EXPERIMENTS
    assert tuple(SPLITS) == fit.SPLITS


def test_help_and_usage_errors_load_no_simulation_code(repo_root):
    """`qpu-twin --help` and a mistyped command answer without importing Qiskit, QuTiP or numba."""
    import sys

    code = ("import sys\nfrom qpu_twin.cli import main\n"
            "for argv in (['--help'], ['calibrate', 'rnu'], ['run', 'x.qasm']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'qiskit', 'qutip', 'numba', 'quimb', 'scipy'})\n"
            "print('HEAVY', heavy)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo_root, timeout=300,
                       env={**__import__("os").environ, "PYTHONPATH": str(repo_root)})
    assert "HEAVY []" in r.stdout, r.stdout + r.stderr
