"""The README opens with the two commands; .ci/run runs the test one verbatim."""

from __future__ import annotations

import re


def _readme_commands(repo_root):
    text = (repo_root / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README must open with a ```bash block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_two_commands(repo_root):
    cmds = _readme_commands(repo_root)
    assert len(cmds) == 2
    assert cmds[0].startswith("pip install . && qpu-twin ")
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command(repo_root):
    ci = (repo_root / ".ci" / "run").read_text().splitlines()
    assert _readme_commands(repo_root)[1] in [line.strip() for line in ci]


def test_main_job_command_works(repo_root, capsys):
    """The README's main-job command (after the install) runs and succeeds."""
    import shlex

    from qpu_twin.cli import main

    job = _readme_commands(repo_root)[0].split("&&", 1)[1].strip()
    argv = shlex.split(job)
    assert argv[0] == "qpu-twin"
    assert main(argv[1:]) == 0
    assert capsys.readouterr().out.strip()
