"""Parsed profile files, kept per process so that ``Twin("ibm_hanoi")`` does not re-parse the YAML.

Parsing and validating a 27-qubit profile costs ~20-90 ms (PyYAML builds the
Python objects even with libyaml), more than a warm run of a small circuit.
A profile is immutable (a frozen pydantic model), so the parsed profile is
kept while the file is unchanged and each load returns a shallow copy of it
(~2 us; a new object, exactly as a fresh parse: lazily computed private
attributes such as the fingerprint start unset, so ``==`` between loads keeps
its meaning). The key is the resolved path with the file's size,
modification time (ns) and inode, so an edit or an atomic replace of the file
is read afresh.

    >>> from qpu_twin import load_profile
    >>> a, b = load_profile("line5"), load_profile("line5")
    >>> a == b and a is not b
    True
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

#: Number of parsed profile files kept.
MAX_PROFILES = 32

_PROFILES: OrderedDict[tuple, object] = OrderedDict()
_LOCK = threading.Lock()


def cached_profile_file(path, parse: Callable[[], object]):
    """The profile parsed from ``path`` by ``parse()``, reused while the file is unchanged."""
    p = Path(path)
    try:
        st = p.stat()
        key = (str(p.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        return parse()  # let the parser report the problem
    with _LOCK:
        prof = _PROFILES.get(key)
        if prof is not None:
            _PROFILES.move_to_end(key)
            return prof.model_copy()
    prof = parse()
    with _LOCK:
        _PROFILES[key] = prof
        _PROFILES.move_to_end(key)
        while len(_PROFILES) > MAX_PROFILES:
            _PROFILES.popitem(last=False)
    return prof.model_copy()  # the kept one is never handed out: its private caches stay as parsed


def clear_profile_cache() -> None:
    """Forget every parsed profile file."""
    with _LOCK:
        _PROFILES.clear()
