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
