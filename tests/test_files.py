"""qpu_twin.files: atomic writes, JSON objects read with clear errors, checkpoints."""

from __future__ import annotations

import json

import pytest

from qpu_twin.errors import BenchmarkError, DataError, FitError
from qpu_twin.files import (
    read_checkpoint,
    read_json_object,
    replaced_atomically,
    write_bytes_atomic,
    write_checkpoint,
    write_text_atomic,
)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_write_text_and_bytes_atomic(tmp_path):
    target = tmp_path / "new" / "folder" / "a.txt"
    assert write_text_atomic(target, "first\n") == target
    assert target.read_text() == "first\n"
    write_text_atomic(target, "second é\n")
    assert target.read_text(encoding="utf-8") == "second é\n"
    write_bytes_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert _leftovers(target.parent) == [] and _leftovers(tmp_path) == []


@pytest.mark.parametrize("exc", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_interrupted_write_keeps_the_old_file(tmp_path, exc):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(type(exc)):
        with replaced_atomically(target) as tmp:
            tmp.write_text("half a fi")
            raise exc
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_read_json_object(tmp_path):
    good = tmp_path / "good.json"
    good.write_text('{"a": 1, "b": [2]}')
    assert read_json_object(good, error=DataError, required=("a", "b")) == {"a": 1, "b": [2]}
    cases = {
        "missing.json": (None, "cannot read"),
        "bad.json": ('{"a": 1', "not valid JSON"),
        "list.json": ("[1, 2]", "expected a JSON object, got list"),
        "nofield.json": ('{"a": 1}', r"missing field 'b' \(hint\)"),
        "latin1.json": (b'{"a": "\xe9"}', "cannot read"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content)
        with pytest.raises(DataError, match=message) as info:
            read_json_object(path, error=DataError, required=("a", "b"), hint=" (hint)")
        assert str(info.value).startswith(str(path)), info.value
    with pytest.raises(DataError, match=r"^--file 'x': expected a JSON object"):
        (tmp_path / "x").write_text("3")
        read_json_object(tmp_path / "x", error=DataError, label="--file 'x'")


def test_checkpoint_round_trip_and_identity(tmp_path):
    path = tmp_path / "run.checkpoint.json"
    ident = {"dataset": "d", "circuits": ("a", "b"), "seed": 3}
    write_checkpoint(path, kind="bench", version=1, ident=ident, records=[{"x": 1.5}])
    on_disk = json.loads(path.read_text())
    assert on_disk["qpu_twin_bench_checkpoint"] == 1 and on_disk["records"] == [{"x": 1.5}]
    kw = dict(kind="bench", version=1, error=BenchmarkError, what="benchmark", needed="the same dataset")
    # a tuple in this run's identity equals the list that JSON stored
    assert read_checkpoint(path, ident=ident, **kw)["records"] == [{"x": 1.5}]
    with pytest.raises(BenchmarkError, match=r"belongs to another benchmark: its seed differs .*the same dataset"):
        read_checkpoint(path, ident={**ident, "seed": 4}, **kw)
    with pytest.raises(BenchmarkError, match="is not a qpu_twin benchmark checkpoint"):
        read_checkpoint(path, ident=ident, **{**kw, "version": 2})
    with pytest.raises(FitError, match="is not a qpu_twin fit checkpoint"):
        read_checkpoint(path, ident=ident, **{**kw, "kind": "fit", "what": "fit", "error": FitError})
    with pytest.raises(BenchmarkError, match="does not exist"):
        read_checkpoint(tmp_path / "none.json", ident=ident, **kw)
    (tmp_path / "broken.json").write_text('{"qpu_twin_bench')
    with pytest.raises(BenchmarkError, match=r"checkpoint '.*broken.json': not valid JSON"):
        read_checkpoint(tmp_path / "broken.json", ident=ident, **kw)
