"""Issue #12, must-show 2: every bad argument and every package error is one line on stderr, no traceback.

The walk runs each bad input through ``qpu_twin.cli.main`` in-process and a
sample of them through a real ``python -m qpu_twin`` subprocess. Exit status 1
for a bad value or a package error, 2 for wrong usage (a missing or unknown
argument, a mistyped subcommand); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from qpu_twin import load_profile
from qpu_twin.cli import main

from . import _synthetic

REPO = Path(__file__).resolve().parents[2]
RC = "calibration_data/ibm_repetition_codes_2022"
SQ_RB = "calibration_data/quantinuum/H1-1__2023_01_20__SQ_RB.json"
GHZ = "examples/ghz.qasm"

DYNAMIC_QASM = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
c[0] = measure q[0];
if (c[0]) { x q[1]; }
c[1] = measure q[1];
"""
PARAM_QASM = """OPENQASM 3.0;
include "stdgates.inc";
input float theta;
qubit[1] q;
bit[1] c;
rx(theta) q[0];
c[0] = measure q[0];
"""

# (command line, exit status, text the one-line message must contain). {tmp}: files made by the `files`
# fixture; {syn}: a 4-circuit synthetic dataset. Paths like examples/... resolve from any folder.
CASES = [
    # ---- run: shots, seeds, names, typos, files
    (f"run {GHZ} --profile line5 --shots 0", 1, "--shots: 0 must be >= 1"),
    (f"run {GHZ} --profile line5 --shots -5", 1, "--shots: -5 must be >= 1"),
    (f"run {GHZ} --profile line5 --shots 1.5", 1, "--shots: '1.5' is not an integer"),
    (f"run {GHZ} --profile line5 --shots 1e3", 1, "'1e3' is not an integer"),
    (f"run {GHZ} --profile line5 --shots 99999999999999999999999", 1, "too large (at most 10**15)"),
    (f"run {GHZ} --profile line5 --seed -1", 1, "--seed: -1 must be >= 0"),
    (f"run {GHZ} --profile line5 --seed 0.5", 1, "--seed: '0.5' is not an integer"),
    (f"run {GHZ} --profile line5 --seed {2**130}", 1, "too large (at most 2**128 - 1)"),
    (f"run {GHZ} --profile line5 --seed abc", 1, "'abc' is not an integer"),
    (f"run {GHZ} --profile lin5", 1, "no profile named 'lin5' (did you mean 'line5'?)"),
    (f"run {GHZ} --profile ibm_hanio", 1, "did you mean 'ibm_hanoi'?"),
    (f"run {GHZ}", 2, "the following arguments are required: --profile"),
    ("run examples/gzh.qasm --profile line5", 1, "did you mean 'examples/ghz.qasm'?"),
    (f"run {GHZ} --profile line5 --noise lindbald", 1, "did you mean 'lindblad'?"),
    (f"run {GHZ} --profile line5 --engine tensor", 1, "did you mean 'tensor_network'?"),
    (f"run {GHZ} --profile line5 --shtos 5", 2, "unrecognized arguments: --shtos 5; did you mean '--shots'?"),
    (f"run {GHZ} --profile line5 --top 0", 1, "--top: 0 must be >= 1"),
    (f"run {GHZ} --profile line5 --param x", 1, "--param 'x': use NAME=VALUE"),
    (f"run {GHZ} --profile line5 --param x=abc", 1, "'abc' is not a number"),
    (f"run {GHZ} --profile line5 --exact --shots 10", 1, "--exact and --shots exclude each other"),
    (f"run {GHZ} --profile line5 --plot {{tmp}}/missing/d.png", 1, "folder '{tmp}/missing' does not exist"),
    (f"run {GHZ} --profile line5 --plot {{tmp}}", 1, "it is a folder"),
    (f"run {GHZ} --profile line5 --no-transpile", 1, "not a native gate of line5"),
    (f"run {GHZ} --profile line5 --no-transpile", 1, "(CLI: drop --no-transpile)"),
    ("run {tmp}/dynamic.qasm --profile ibm_hanoi", 1, "add `control_flow: [if_else]` to its YAML"),
    ("run {tmp}/param.qasm --profile line5", 1, "free parameter(s) theta: bind them with --param"),
    ("run {tmp}/param.qasm --profile line5 --param thetta=0.3", 1, "'thetta' (did you mean 'theta'?)"),
    ("run {tmp}/param.qasm --profile line5 --param theta=nan", 1, "theta=nan is not finite"),
    (f"run {GHZ} --profile {{tmp}}/field_typo.yaml", 1, "t1us=100.0: unknown field"),
    ("rnu examples/ghz.qasm --profile line5", 2, "invalid choice: 'rnu'"),
    ("rnu examples/ghz.qasm --profile line5", 2, "did you mean 'run'?"),
    # ---- profile
    ("profile shwo line5", 2, "did you mean 'show'?"),
    ("profile show lin5", 1, "did you mean 'line5'?"),
    ("profile show line5 --jsno", 2, "did you mean '--json'?"),
    ("profile list extra", 2, "unrecognized arguments: extra"),
    ("profile validate {tmp}/nope.yaml", 1, "'{tmp}/nope.yaml' does not exist"),
    ("profile validate {tmp}/top_typo.yaml", 1, "qubitz=list[5]"),
    ("profile validate {tmp}/top_typo.yaml", 1, "(did you mean 'qubits'?)"),
    ("profile validate {tmp}/field_typo.yaml", 1, "qubit 2: t1us=100.0: unknown field"),
    ("profile validate {tmp}/field_typo.yaml", 1, "(did you mean 't1_us'?)"),
    ("profile validate {tmp}/gate_typo.yaml", 1, "gate rz(0): eror=0.0: unknown field"),
    ("profile validate {tmp}/not_yaml.yaml", 1, "not valid YAML"),
    ("profile validate {tmp}/dynamic.qasm", 1, "unknown suffix '.qasm'"),
    ("profile import --qiskit-fake sherbrok -o {tmp}/x.yaml", 1, "did you mean 'sherbrooke'?"),
    ("profile import --qiskit-fake sherbrooke -o {tmp}/x.txt", 1, "unknown suffix '.txt'"),
    ("profile import --qiskit-fake sherbrooke -o {tmp}/missing/x.yaml", 1, "does not exist"),
    ("profile import --quantinuum H1-1 -o {tmp}/x.yaml", 1, "--quantinuum needs --date"),
    ("profile import --quantinuum H1-1 --date notadate -o {tmp}/x.yaml", 1, "date='notadate'"),
    ("profile import --quantinuum H9-9 --date 2023-01-01 -o {tmp}/x.yaml", 1, "no row for Machine='H9-9'"),
    ("profile import --ibm-json {tmp}/dynamic.qasm -o {tmp}/x.yaml", 1, "cannot read JSON"),
    ("profile import -o {tmp}/x.yaml", 2, "one of the arguments"),
    # ---- calibrate
    ("calibrate rnu t1 --profile line5", 2, "did you mean 'run'?"),
    ("calibrate run t11 --profile line5", 1, "did you mean 't1'?"),
    ("calibrate run t1 --profile line5 --shots 0", 1, "--shots: 0 must be >= 1"),
    ("calibrate run t1 --profile line5 --shots -3", 1, "--shots: -3 must be >= 1"),
    ("calibrate run t1 --profile line5 --shots 100000000000000000000", 1, "too large"),
    ("calibrate run t1 --profile line5 --seed -2", 1, "--seed: -2 must be >= 0"),
    ("calibrate run t1 --profile line5 --qubits 99", 1, "qubit 99 is not a qubit of line5 (0..4)"),
    ("calibrate run t1 --profile line5 --qubits a", 1, "--qubits 'a': give integers"),
    ("calibrate run zz --profile line5 --qubits 0", 1, "zz needs 2 qubit(s), got qubits=[0]"),
    ("calibrate run rb --profile line5 --qubits 0,1,2", 1, "rb needs 1 or 2 qubit(s)"),
    ("calibrate run t1 --profile nope", 1, "no profile named 'nope'"),
    ("calibrate run t1 --profile line5 --apply {tmp}/x.txt", 1, "unknown suffix '.txt'"),
    ("calibrate run t1 --profile line5 --shts 4", 2, "did you mean '--shots'?"),
    ("calibrate drift ibm_hanio", 1, "did you mean 'ibm_hanoi'?"),
    ("calibrate {tmp}/nofile.json", 1, "does not exist"),
    (f"calibrate {GHZ}", 1, "not valid JSON"),
    (f"calibrate analyse {SQ_RB} --bootstrap -1", 1, "--bootstrap: -1 must be between 0 and 100000"),
    (f"calibrate analyse {SQ_RB} --seed 1.5", 1, "--seed: '1.5' is not an integer"),
    # ---- bench
    ("bench {tmp}/nope", 1, "does not exist"),
    (f"bench {RC} --resamples 0", 1, "--resamples: 0 must be between 1 and 100000"),
    (f"bench {RC} --resamples 1000000000", 1, "must be between 1 and 100000"),
    (f"bench {RC} --max-circuits 0", 1, "--max-circuits: 0 must be >= 1"),
    (f"bench {RC} --max-circuits -2", 1, "--max-circuits: -2 must be >= 1"),
    (f"bench {RC} --seed -1", 1, "--seed: -1 must be >= 0"),
    (f"bench {RC} --aer-shots 0", 1, "--aer-shots: 0 must be >= 1"),
    (f"bench {RC} --report {{tmp}}/missing/r", 1, "cannot create folder"),
    (f"bench {RC} --report {{tmp}}/dynamic.qasm", 1, "it is a file, not a folder"),
    (f"bench {RC} --checkpoint {{tmp}}/missing/c.json", 1, "does not exist"),
    (f"bench {RC} --checkpoint-every -1", 1, "--checkpoint-every: -1.0 must be a finite number >= 0"),
    (f"bench {RC} --resme", 2, "did you mean '--resume'?"),
    ("bench {syn} --models twin_lindbald", 1, "did you mean 'twin_lindblad'?"),
    ("bench {syn} --profile nope", 1, "no profile named 'nope'"),
    ("bench {syn} --checkpoint {tmp}/old.checkpoint.json", 1, "exists (an interrupted `bench` run): rerun with"),
    ("bench {syn} --checkpoint {tmp}/old.checkpoint.json --resume", 1, "is not a qpu_twin benchmark checkpoint"),
    ("bench {syn} --checkpoint {tmp}/none.json --resume", 1, "does not exist (nothing to resume)"),
    (f"bench {GHZ}", 1, "cannot read job JSON"),
    # ---- fit
    (f"fit {RC} --train-fraction 0", 1, "--train-fraction: 0.0 must be between 0 and 1"),
    (f"fit {RC} --train-fraction 1.5", 1, "must be between 0 and 1"),
    (f"fit {RC} --train-fraction abc", 1, "'abc' is not a number"),
    (f"fit {RC} --sweeps 0", 1, "--sweeps: 0 must be between 1 and 100"),
    (f"fit {RC} --sweeps 1000000", 1, "must be between 1 and 100"),
    (f"fit {RC} --seed -4", 1, "--seed: -4 must be >= 0"),
    (f"fit {RC} --split randon", 1, "did you mean 'random'?"),
    (f"fit {RC} --kinds p1O", 1, "'p1O' (did you mean 'p10'?)"),
    (f"fit {RC} --kinds gate_eror", 1, "did you mean 'gate_error'?"),
    (f"fit {RC} --kinds ,", 1, "(none given)"),
    (f"fit {RC} -o {{tmp}}/fitted.txt", 1, "unknown suffix '.txt'"),
    (f"fit {RC} -o {{tmp}}/missing/f.yaml", 1, "does not exist"),
    ("fit {syn} --max-circuits 1", 1, "need at least 2"),
    ("fit {syn} --profile {tmp}/field_typo.yaml", 1, "did you mean 't1_us'?"),
    ("fit {syn} --checkpoint {tmp}/old.checkpoint.json", 1, "exists (an interrupted `fit` run)"),
    ("fit {syn} --checkpoint {tmp}/old.checkpoint.json --resume", 1, "is not a qpu_twin fit checkpoint"),
    ("fti calibration_data/ibm_repetition_codes_2022", 2, "did you mean 'fit'?"),
    # ---- top level
    ("--versoin", 2, "did you mean '--version'?"),
    ("", 2, "the following arguments are required"),
]

#: run through a real `python -m qpu_twin` as well (one per subcommand and kind of failure)
SUBPROCESS_SAMPLE = [
    f"run {GHZ} --profile line5 --shots 0",
    "calibrate rnu t1 --profile line5",
    "calibrate run t1 --profile line5 --shots 0",
    "profile validate {tmp}/field_typo.yaml",
    f"fit {RC} --kinds p1O",
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad_inputs")
    (tmp / "dynamic.qasm").write_text(DYNAMIC_QASM)
    (tmp / "param.qasm").write_text(PARAM_QASM)
    base = load_profile("line5").to_dict()
    top = dict(base, qubitz=base["qubits"])
    del top["qubits"]
    (tmp / "top_typo.yaml").write_text(yaml.safe_dump(top))
    field = load_profile("line5").to_dict()
    field["qubits"][2]["t1us"] = field["qubits"][2].pop("t1_us")
    (tmp / "field_typo.yaml").write_text(yaml.safe_dump(field))
    gate = load_profile("line5").to_dict()
    gate["gates"][0]["eror"] = gate["gates"][0].pop("error")
    (tmp / "gate_typo.yaml").write_text(yaml.safe_dump(gate))
    (tmp / "not_yaml.yaml").write_text(":\n  - [\n")
    (tmp / "old.checkpoint.json").write_text("{}")
    qcs = _synthetic.circuits(12)[::3]  # 4 basis-state circuits: quick to sample
    _synthetic.dataset(tmp / "syn", _synthetic.measured(load_profile("line5"), qcs, shots=100, seed=1))
    return tmp


def _argv(template: str, files: Path) -> list[str]:
    return shlex.split(template.format(tmp=files, syn=files / "syn"))


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("template,code,needle", CASES, ids=[f"{i}:{c[0][:40]}" for i, c in enumerate(CASES)])
def test_bad_input_is_one_line(template, code, needle, files, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a folder without checkpoints, away from the repository
    try:
        got = main(_argv(template, files))
    except SystemExit as exc:
        got = exc.code
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert got == code, line
    assert needle.format(tmp=files) in line
    assert out == ""  # failed before any work was reported
    assert not list(tmp_path.iterdir()), "a failed command left files behind"


def test_walk_covers_every_subcommand():
    kinds = {c[0].split()[0] if c[0] else "" for c in CASES}
    assert {"run", "profile", "calibrate", "bench", "fit"} <= kinds
    assert len({c[0] for c in CASES}) >= 40


def test_subprocess_errors_are_one_line(files, tmp_path):
    """The same through a real interpreter, from a folder that is not the repository."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-m", "qpu_twin", *_argv(t, files)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for t in SUBPROCESS_SAMPLE]
    expected = {c[0]: (c[1], c[2]) for c in reversed(CASES)}
    for template, proc in zip(SUBPROCESS_SAMPLE, procs):
        out, err = proc.communicate(timeout=300)
        code, needle = expected[template]
        line = _one_line(err)
        assert proc.returncode == code, (template, line)
        assert needle.format(tmp=files) in line, (template, line)
        assert out == ""


def test_debug_shows_the_traceback(files, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, "-m", "qpu_twin", "--debug", "profile", "validate",
                        str(files / "field_typo.yaml")], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 1
    assert "Traceback (most recent call last)" in r.stderr and "ProfileError" in r.stderr
    assert "did you mean 't1_us'?" in r.stderr


def test_debug_in_process_raises(files):
    from qpu_twin.errors import ProfileError

    with pytest.raises(ProfileError, match="did you mean 'line5'"):
        main(["--debug", "profile", "show", "lin5"])


def test_internal_error_is_one_line_and_names_debug(capsys, monkeypatch):
    """A bug (not a QpuTwinError) still prints one line, pointing to --debug."""
    from qpu_twin.cli import profile as profile_cmd

    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(profile_cmd, "cmd_list", broken)
    code = main(["profile", "list"])
    line = _one_line(capsys.readouterr().err)
    assert code == 1 and "internal error (ZeroDivisionError: division by zero)" in line and "--debug" in line


def test_warnings_print_as_one_line(capsys, tmp_path):
    """A package warning is one `warning: ...` line, not Python's two-line format with a source line."""
    out_path = tmp_path / "sherbrooke.yaml"
    assert main(["profile", "import", "--qiskit-fake", "sherbrooke", "-o", str(out_path)]) == 0
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines and all(ln.startswith("warning: ") for ln in lines), err
    assert any("importer adjusted" in ln and "[ProfileWarning]" in ln for ln in lines)
