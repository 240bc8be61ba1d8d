"""Bounded, strict parsing of the text files qpu_twin reads (JSON and YAML).

Every reader of a file (profiles, Quantinuum data, IBM job archives, datasets)
goes through these functions, so that a malformed or hostile file ends in one
package error naming the file, never in a hang, a huge allocation or a bare
``RecursionError`` / ``UnicodeDecodeError``:

* text must be UTF-8 (:func:`read_text`), files at most :data:`MAX_TEXT_BYTES`;
* duplicate keys are an error (JSON and YAML), naming the key (and the line in YAML);
* nesting is at most :data:`MAX_DEPTH` levels;
* YAML aliases are allowed, but the document *as expanded* may hold at most
  :data:`MAX_YAML_NODES` nodes (a "billion laughs" file fails at once, after
  counting the nodes of the composed graph with memoisation) and recursive
  aliases are refused;
* numbers with more digits than Python converts (``10**5000``) are an error.

The error class is the caller's (``ProfileError`` for profiles,
``DataError`` for data files).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .errors import DataError, QpuTwinError, short_repr

#: Largest nesting depth (mappings + sequences) of any file we read.
MAX_DEPTH = 64
#: Largest number of nodes of a YAML document after alias expansion.
MAX_YAML_NODES = 2_000_000
#: Largest text file we read (bytes).
MAX_TEXT_BYTES = 256 * 2**20

try:  # libyaml is ~10x faster on the 127-qubit profiles
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-python PyYAML
    _BaseLoader = yaml.SafeLoader


class _DuplicateKey(Exception):
    def __init__(self, key, line: int | None):
        super().__init__(key, line)
        self.key, self.line = key, line


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader whose mappings refuse duplicate keys (YAML merge keys ``<<`` may still be overridden)."""

    def construct_mapping(self, node, deep=False):  # noqa: D102 - PyYAML API
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                tag = key_node.tag
                if tag == "tag:yaml.org,2002:merge":
                    continue
                if tag == "tag:yaml.org,2002:str" and isinstance(key_node, yaml.ScalarNode):
                    key = key_node.value  # the common case, without constructing the key twice
                else:
                    key = self.construct_object(key_node, deep=True)
                    try:
                        hash(key)
                    except TypeError:
                        continue  # PyYAML reports unhashable keys itself
                if key in seen:
                    raise _DuplicateKey(key, key_node.start_mark.line + 1 if key_node.start_mark else None)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_text(path, *, error: type[QpuTwinError] = DataError, what: str = "file",
              max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of ``path`` (``error`` naming the file if missing, too large or not UTF-8)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise error(f"{what} {str(path)!r}: cannot read it: {exc.strerror or exc}") from None
    if not path.is_file():
        raise error(f"{what} {str(path)!r} is not a file")
    if size > max_bytes:
        raise error(f"{what} {str(path)!r}: {size} bytes is larger than the limit of {max_bytes} bytes")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{what} {str(path)!r}: cannot read it: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(f"{what} {str(path)!r}: not UTF-8 text (byte {raw[exc.start:exc.start + 1]!r} at offset "
                    f"{exc.start}, line {line}): a binary or wrongly encoded file?") from None


def parse_json(text: str, *, source: str, error: type[QpuTwinError] = DataError,
               max_depth: int = MAX_DEPTH) -> Any:
    """Plain data of JSON ``text`` (duplicate keys, over-deep nesting and huge numbers refused)."""

    def pairs(items):
        out = dict(items)
        if len(out) != len(items):
            seen: set = set()
            for k, _ in items:
                if k in seen:
                    raise _DuplicateKey(k, None)
                seen.add(k)
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: not valid JSON (truncated file?): {exc}") from None
    except _DuplicateKey as exc:
        raise error(f"{source}: duplicate key {short_repr(exc.key)} in a JSON object (each key may appear "
                    "once)") from None
    except RecursionError:
        raise error(f"{source}: nesting is too deep (more than {max_depth} levels)") from None
    except ValueError as exc:  # e.g. an integer with more than 4300 digits
        raise error(f"{source}: not valid JSON: {short_repr(str(exc), 120)}") from None
    check_depth(data, source=source, error=error, max_depth=max_depth)
    return data


def parse_yaml(text: str, *, source: str, error: type[QpuTwinError] = DataError,
               max_depth: int = MAX_DEPTH, max_nodes: int = MAX_YAML_NODES) -> Any:
    """Plain data of YAML ``text`` (safe tags only; duplicate keys, alias bombs, deep nesting refused)."""
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_yaml_graph(node, source=source, error=error, max_depth=max_depth, max_nodes=max_nodes)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except QpuTwinError:
        raise
    except _DuplicateKey as exc:
        at = f" (line {exc.line})" if exc.line else ""
        raise error(f"{source}: duplicate key {short_repr(exc.key)}{at}: each key may appear once in a "
                    "mapping") from None
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML: {short_repr(str(exc), 300)}") from None
    except RecursionError:
        raise error(f"{source}: nesting is too deep (more than {max_depth} levels)") from None
    except ValueError as exc:  # e.g. an integer with more than 4300 digits
        raise error(f"{source}: not valid YAML: {short_repr(str(exc), 120)}") from None


def _check_yaml_graph(root, *, source: str, error, max_depth: int, max_nodes: int) -> None:
    """Expanded node count and depth of a composed YAML graph (aliases share nodes), iteratively."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            s = 1 + sum(size[id(c)] for c in children)
            d = 1 + max((depth[id(c)] for c in children), default=0) if children else 0
            active.discard(key)
            if s > max_nodes:
                line = node.start_mark.line + 1 if node.start_mark else "?"
                raise error(f"{source}: the YAML document expands to more than {max_nodes} nodes (aliases of "
                            f"anchors, near line {line}): refused (a 'billion laughs' file?)")
            if d > max_depth:
                raise error(f"{source}: nesting is too deep (more than {max_depth} levels)")
            size[key], depth[key] = s, d
            continue
        if key in size:
            continue
        if key in active:
            line = node.start_mark.line + 1 if node.start_mark else "?"
            raise error(f"{source}: recursive YAML alias (a node contains itself, line {line})")
        active.add(key)
        stack.append((node, True))
        for c in _children(node):
            if id(c) in active:
                line = c.start_mark.line + 1 if c.start_mark else "?"
                raise error(f"{source}: recursive YAML alias (a node contains itself, line {line})")
            if id(c) not in size:
                stack.append((c, False))


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for kv in node.value for n in kv]
    return []


def check_depth(data: Any, *, source: str, error: type[QpuTwinError] = DataError, max_depth: int = MAX_DEPTH) -> None:
    """``error`` if plain ``data`` nests deeper than ``max_depth`` (iterative; shared objects visited once)."""
    stack = [(data, 0)]
    seen: set[int] = set()
    while stack:
        obj, d = stack.pop()
        if isinstance(obj, (dict, list)):
            if d >= max_depth:
                raise error(f"{source}: nesting is too deep (more than {max_depth} levels)")
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            stack.extend((v, d + 1) for v in (obj.values() if isinstance(obj, dict) else obj)
                         if isinstance(v, (dict, list)))


def read_json(path, *, error: type[QpuTwinError] = DataError, what: str = "file", max_depth: int = MAX_DEPTH) -> Any:
    """:func:`read_text` + :func:`parse_json`."""
    text = read_text(path, error=error, what=what)
    return parse_json(text, source=str(path), error=error, max_depth=max_depth)
