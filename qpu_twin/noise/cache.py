"""A process-wide, bounded store of noise maps shared by every :class:`~qpu_twin.noise.builder.NoiseBuilder`.

Integrating a gate's Lindblad map costs milliseconds; a map depends only on
the profile, the noise options and the map's own key (op, qubits, parameters,
duration). Every builder keeps its own maps (``NoiseBuilder._cache``) and also
looks them up here, keyed by ``(profile fingerprint, noise-options key, map
key)``, so a new ``Twin`` of a profile another ``Twin`` in the process already
used builds no map twice.

The store evicts least-recently-used entries once the stored arrays exceed
``max_bytes`` (default 64 MiB, about 15,000 two-qubit maps; environment
variable ``QPU_TWIN_NOISE_CACHE_BYTES``; ``0`` disables sharing). Stored arrays
are made read-only: they are shared between builders.

    >>> from qpu_twin.noise.cache import shared_map_cache
    >>> info = shared_map_cache().info()
    >>> sorted(info)
    ['bytes', 'entries', 'evictions', 'hits', 'max_bytes', 'misses']
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any, Hashable

import numpy as np

from ..errors import QpuTwinError

#: Default bound of the shared store in bytes.
DEFAULT_MAX_BYTES = 64 * 2**20
#: Bytes charged per entry on top of its arrays (key tuple, dict slot, record).
ENTRY_OVERHEAD_BYTES = 512


class MapCache:
    """A thread-safe LRU store of read-only noise maps, bounded by bytes.

    Parameters
    ----------
    max_bytes : int
        Bound on the stored arrays plus :data:`ENTRY_OVERHEAD_BYTES` per entry;
        0 stores nothing.

    Values are ``(map, note)`` records: ``map`` a numpy array (stored
    read-only), ``note`` any small immutable extra the builder needs to
    replay (e.g. the decoherence warning the map triggered), or None.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self._data: OrderedDict[Hashable, tuple[np.ndarray, Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0
        self._max_bytes = 0
        self.max_bytes = max_bytes
        self.hits = self.misses = self.evictions = 0

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise QpuTwinError(f"noise map cache: max_bytes={value!r} must be a non-negative integer")
        with self._lock:
            self._max_bytes = int(value)
            self._evict()

    def get(self, key: Hashable) -> tuple[np.ndarray, Any] | None:
        """The ``(map, note)`` stored under ``key`` (and mark it recently used), or None."""
        with self._lock:
            rec = self._data.get(key)
            if rec is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return rec[0], rec[1]

    def put(self, key: Hashable, value: np.ndarray, note: Any = None) -> np.ndarray:
        """Store ``value`` (made read-only) under ``key``; returns the stored array."""
        arr = np.asarray(value)
        arr.setflags(write=False)
        size = int(arr.nbytes) + ENTRY_OVERHEAD_BYTES
        with self._lock:
            if size > self._max_bytes:
                return arr
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._data[key] = (arr, note, size)
            self._bytes += size
            self._evict()
        return arr

    def _evict(self) -> None:
        while self._bytes > self._max_bytes and self._data:
            _, (_, _, size) = self._data.popitem(last=False)
            self._bytes -= size
            self.evictions += 1

    def clear(self) -> None:
        """Drop every entry (the counters are kept)."""
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)

    def info(self) -> dict[str, int]:
        """Entries, bytes held, bound, and hit / miss / eviction counts."""
        with self._lock:
            return {"entries": len(self._data), "bytes": self._bytes, "max_bytes": self._max_bytes,
                    "hits": self.hits, "misses": self.misses, "evictions": self.evictions}


def _env_max_bytes() -> int:
    raw = os.environ.get("QPU_TWIN_NOISE_CACHE_BYTES")
    if raw is None or raw.strip() == "":
        return DEFAULT_MAX_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise QpuTwinError(f"environment variable QPU_TWIN_NOISE_CACHE_BYTES={raw!r} must be a non-negative integer")
    return value


_SHARED: MapCache | None = None
_SHARED_LOCK = threading.Lock()


def shared_map_cache() -> MapCache:
    """The process-wide :class:`MapCache` (created on first use)."""
    global _SHARED
    if _SHARED is None:
        with _SHARED_LOCK:
            if _SHARED is None:
                _SHARED = MapCache(_env_max_bytes())
    return _SHARED
