"""Finding and loading profiles: shipped names, paths, QPU_TWIN_PROFILES, errors naming file and field."""

from __future__ import annotations

import json

import pytest

from qpu_twin import ProfileError, list_profiles, load_profile
from qpu_twin.profiles.store import read_profile_file

SHIPPED = ["ibm_hanoi", "ibm_hanoi_2022-05-20", "ibm_sherbrooke", "ibm_torino", "line5", "quantinuum_h1-1", "quantinuum_h2-1"]


def test_list_profiles_has_the_shipped_ones():
    assert set(SHIPPED) <= set(list_profiles())


def test_load_by_path_and_save(tmp_path):
    p = load_profile("line5")
    for suffix in (".yaml", ".json"):
        out = tmp_path / f"copy{suffix}"
        p.save(out)
        assert load_profile(out) == p
        assert load_profile(str(out)) == p
    assert load_profile(p) is p


def test_unknown_name_lists_shipped():
    with pytest.raises(ProfileError, match="no profile named 'nope'.*line5"):
        load_profile("nope")


def test_missing_file():
    with pytest.raises(ProfileError, match="does not exist"):
        load_profile("/no/such/profile.yaml")


def test_invalid_file_names_path_and_field(tmp_path):
    data = load_profile("line5").to_dict()
    data["qubits"][4]["t2_us"] = 201.0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ProfileError) as info:
        read_profile_file(bad)
    msg = str(info.value)
    assert str(bad) in msg and "qubit 4: t2_us=201.0" in msg


def test_profiles_env_var(tmp_path, monkeypatch):
    load_profile("line5").replace(name="mine").save(tmp_path / "mine.yaml")
    monkeypatch.setenv("QPU_TWIN_PROFILES", str(tmp_path))
    assert "mine" in list_profiles()
    assert load_profile("mine").name == "mine"


def test_shipped_profiles_are_up_to_date(repo_root):
    """device_profiles/ is exactly what scripts/generate_profiles.py produces."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "scripts/generate_profiles.py", "--check"], cwd=repo_root,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
