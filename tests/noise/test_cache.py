"""The process-wide noise-map store: LRU by bytes, shared across Twins of one profile and noise setting."""

from __future__ import annotations

import numpy as np
import pytest

from qpu_twin import QpuTwinError, Twin, load_profile
from qpu_twin.circuit_library import ghz
from qpu_twin.noise import cache as nc


def test_lru_by_bytes_evicts_least_recently_used():
    a = np.zeros((4, 4), complex)  # 256 bytes each
    per = a.nbytes + nc.ENTRY_OVERHEAD_BYTES
    c = nc.MapCache(max_bytes=3 * per)
    for k in "abc":
        c.put(k, a.copy())
    assert c.get("a") is not None  # a is now the most recently used
    c.put("d", a.copy())
    assert c.get("b") is None and c.get("a") is not None and c.get("d") is not None
    info = c.info()
    assert info["entries"] == 3 and info["bytes"] == 3 * per and info["evictions"] == 1
    c.put("big", np.zeros(1000, complex))  # larger than the bound: not stored, nothing evicted
    assert c.get("big") is None and len(c) == 3
    c.max_bytes = per
    assert len(c) == 1 and c.info()["bytes"] == per


def test_stored_maps_are_read_only_and_carry_their_note():
    c = nc.MapCache()
    stored = c.put("k", np.eye(4, dtype=complex), note=("x", (0,), "msg"))
    with pytest.raises(ValueError):
        stored[0, 0] = 2.0
    s, note = c.get("k")
    assert s is stored and note == ("x", (0,), "msg")


def test_zero_bytes_disables_and_bad_bounds_are_refused(monkeypatch):
    c = nc.MapCache(max_bytes=0)
    c.put("k", np.eye(4))
    assert c.get("k") is None
    with pytest.raises(QpuTwinError, match="max_bytes=-1"):
        nc.MapCache(max_bytes=-1)
    monkeypatch.setenv("QPU_TWIN_NOISE_CACHE_BYTES", "lots")
    with pytest.raises(QpuTwinError, match="QPU_TWIN_NOISE_CACHE_BYTES='lots'"):
        nc._env_max_bytes()
    monkeypatch.setenv("QPU_TWIN_NOISE_CACHE_BYTES", "1024")
    assert nc._env_max_bytes() == 1024


def test_a_new_twin_integrates_nothing_and_gives_identical_results():
    prof = load_profile("ibm_hanoi").replace(name="ibm_hanoi_cache_test")  # a fingerprint no other test used
    qc = ghz(4)
    first = Twin(prof).run(qc, seed=3)
    stats = first.metadata["noise_cache"]
    assert stats["integrations"] + stats["shared_integrations"] > 0  # its gate maps were built (the
    again = Twin(prof).run(qc, seed=3)  # integrations may come from another profile with the same T1/T2)
    assert again.metadata["noise_cache"]["integrations"] == 0
    assert again.metadata["noise_cache"]["shared_integrations"] == 0  # the whole maps were found
    assert again.metadata["noise_cache"]["shared_hits"] > 0
    assert again.probabilities == first.probabilities


def test_other_noise_options_and_other_profiles_do_not_share():
    base = load_profile("line5").replace(name="line5_cache_test")
    qc = ghz(3)
    Twin(base).run(qc, seed=1)
    no_zz = Twin(base, noise={"zz": False}).run(qc, seed=1)
    assert no_zz.metadata["noise_cache"]["shared_hits"] == 0  # options are part of the key
    d = base.to_dict()
    d["qubits"][0]["t1_us"] = 50.0
    from qpu_twin import DeviceProfile

    changed = DeviceProfile.model_validate(d)
    assert changed.fingerprint != base.fingerprint
    b = Twin(changed).builder()
    before = b.stats["integrations"]
    b.gate_map("sx", (0,))
    assert b.stats["integrations"] == before + 1 and b.stats["shared_hits"] == 0


def test_builder_cache_of_a_twin_stays_a_plain_dict():
    """The fit copies entries between builders' ``_cache`` dicts; that keeps working."""
    prof = load_profile("line5").replace(name="line5_cache_copy")
    old = Twin(prof).builder()
    old.gate_map("sx", (1,))
    new = Twin(prof, noise={"readout": False}).builder()
    for key, s in old._cache.items():
        new._cache[key] = s
    n = new.stats["integrations"]
    assert new.gate_map("sx", (1,)) is old.gate_map("sx", (1,))
    assert new.stats["integrations"] == n


def test_decoherence_warning_is_replayed_for_a_new_twin(near_ideal_line5):
    """A map that warned when it was integrated warns again for each new Twin that reuses it."""
    prof = near_ideal_line5.replace(name="line5_near_ideal_cache")
    with pytest.warns(UserWarning, match="decoherence alone"):
        Twin(prof).noise_map("x", (3,))
    with pytest.warns(UserWarning, match="decoherence alone"):
        t = Twin(prof)
        t.noise_map("x", (3,))
    assert t.builder().stats["shared_hits"] == 1


def test_copied_maps_never_stand_in_for_a_changed_zz():
    """The fit copies a builder's maps into the builder of a changed profile; a ZZ map carries its
    coupling in the key, so after a change of zz_khz the new phase is used (analytic: exp(-2 pi i zeta t))."""
    from qpu_twin import DeviceProfile

    base = load_profile("line5").replace(name="line5_zz_copy")
    old = Twin(base).builder()
    old.zz_map(0, 1, 1000.0)
    d = base.to_dict()
    d["crosstalk"]["zz"][0]["zz_khz"] = -200.0
    new = Twin(DeviceProfile.model_validate(d)).builder()
    for key, s in old._cache.items():
        new._cache[key] = s
    s = new.zz_map(0, 1, 1000.0)
    expect = np.exp(-2j * np.pi * (-200e3) * 1000e-9)
    assert abs(s[12, 12] - expect) < 1e-12  # row-major index r*4 + c: rho[|11>, |00>] picks up the phase
    assert abs(s[15, 15] - 1.0) < 1e-15  # the |11><11| population does not


def test_a_changed_gate_error_reuses_the_integration_and_equals_a_fresh_map(monkeypatch):
    """The fit varies gate errors: the derived builder composes a new depolarizing top-up with the
    already integrated drive + T1/T2 map (no integration), and the map equals a fresh builder's bit for bit."""
    from qpu_twin.noise.builder import NoiseBuilder
    from qpu_twin.profiles.edit import ParameterRef, with_values

    base = load_profile("ibm_hanoi").replace(name="ibm_hanoi_raw_map")
    old = NoiseBuilder(base, Twin(base).noise)
    old.gate_map("cx", (1, 2))
    err = base.gate("cx", (1, 2)).error
    changed = with_values(base, [(ParameterRef("gate_error", ("cx", (1, 2))), 3 * err, None)])
    new = old.derive(changed)
    n = new.stats["integrations"]
    s = new.gate_map("cx", (1, 2))
    assert new.stats["integrations"] == n  # only the top-up was recomputed
    monkeypatch.setattr(nc, "_SHARED", nc.MapCache(10**8))  # an empty process-wide store: integrated anew
    fresh = NoiseBuilder(changed, Twin(changed).noise)
    assert np.array_equal(s, fresh.gate_map("cx", (1, 2)))
    assert fresh.stats["integrations"] == 1
    assert not np.array_equal(s, old.gate_map("cx", (1, 2)))  # the error did change the map
    t1 = with_values(base, [(ParameterRef("t1_us", (1,)), 0.5 * base.qubit(1).t1_us, None)], keep_t2_physical=True)
    moved = old.derive(t1)
    m = moved.stats["integrations"]
    moved.gate_map("cx", (1, 2))
    assert moved.stats["integrations"] == m + 1  # a T1 change integrates again
    again = NoiseBuilder(changed.replace(name="ibm_hanoi_raw_map_other"), Twin(changed).noise)
    assert np.array_equal(again.gate_map("cx", (1, 2)), s)  # another profile, the same inputs: the stored
    assert again.stats["integrations"] == 0 and again.stats["shared_integrations"] == 1  # integration is used
