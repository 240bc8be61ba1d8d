"""Profile text: YAML/JSON round trips exactly, malformed text and unknown suffixes refused."""

from __future__ import annotations

import pytest

from qpu_twin import ProfileError, load_profile
from qpu_twin.profiles.store import parse_profile_text, read_profile_file

SHIPPED = ["ibm_hanoi", "ibm_hanoi_2022-05-20", "ibm_sherbrooke", "ibm_torino", "line5", "quantinuum_h1-1", "quantinuum_h2-1"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_file_round_trips_exactly(repo_root, name):
    path = repo_root / "device_profiles" / f"{name}.yaml"
    text = path.read_text()
    profile = read_profile_file(path)
    assert profile.to_yaml() == text  # YAML -> model -> YAML unchanged
    again = parse_profile_text(profile.to_json(), fmt="json")
    assert again == profile and again.to_yaml() == text  # and through JSON


def test_save_unknown_suffix(tmp_path):
    with pytest.raises(ProfileError, match=r"\.txt"):
        load_profile("line5").save(tmp_path / "x.txt")


def test_malformed_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ProfileError, match="not valid YAML"):
        read_profile_file(bad)


def test_malformed_json(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": ')
    with pytest.raises(ProfileError, match="not valid JSON"):
        read_profile_file(bad)


def test_not_a_mapping(tmp_path):
    bad = tmp_path / "list.yaml"
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ProfileError, match="must hold a mapping"):
        read_profile_file(bad)
