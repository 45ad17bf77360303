"""A bounded, per-process cache of results built from stored data (缓存), checked against a
data version (:mod:`gridmgmt.services.data_version`) on every use.

An entry is kept per key with the version it was built at; a different version rebuilds it
(so an import or a grid change is seen by the next request of every worker). One build
runs at a time per key: the other requests for it wait for that build instead of repeating
it, which is what a cold cache meets when twenty users open the map at once. The least
recently used entries go beyond ``max_entries`` (or beyond ``max_size``, measured by
``sizeof``: bytes of a cached answer, for instance).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["VersionedCache"]

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """Values by key, each valid for one data version; at most ``max_entries`` of them and,
    with ``sizeof``, at most ``max_size`` in all (the newest entry is always kept)."""

    def __init__(
        self,
        max_entries: int,
        *,
        max_size: int | None = None,
        sizeof: Callable[[T], int] | None = None,
    ) -> None:
        if max_entries < 1:
            msg = f"`max_entries` was {max_entries} but must be at least 1"
            raise ValueError(msg)
        if (max_size is None) != (sizeof is None):
            msg = "`max_size` and `sizeof` go together"
            raise ValueError(msg)
        self.max_entries = max_entries
        self.max_size = max_size
        self._sizeof = sizeof
        self._size = 0
        self._entries: OrderedDict[Hashable, tuple[Hashable, T]] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def size(self) -> int:
        """The entries' total size by ``sizeof`` (0 without it)."""
        with self._lock:
            return self._size

    def _measure(self, value: T) -> int:
        return self._sizeof(value) if self._sizeof is not None else 0

    def _store(self, key: Hashable, version: Hashable, value: T) -> None:
        """Keep ``value`` (lock held), then drop the least recently used beyond the bounds."""
        old = self._entries.pop(key, None)
        if old is not None:
            self._size -= self._measure(old[1])
        self._entries[key] = (version, value)
        self._size += self._measure(value)
        while len(self._entries) > 1 and (
            len(self._entries) > self.max_entries
            or (self.max_size is not None and self._size > self.max_size)
        ):
            _key, (_version, dropped) = self._entries.popitem(last=False)
            self._size -= self._measure(dropped)

    def _fresh(self, key: Hashable, version: Hashable) -> tuple[bool, T | None]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return False, None
            self._entries.move_to_end(key)
            return True, entry[1]

    def get(self, key: Hashable, version: Hashable, build: Callable[[], T]) -> T:
        """The value of ``key`` at ``version``: cached, or built now (once, if several ask)."""
        found, value = self._fresh(key, version)
        if found:
            return value  # type: ignore[return-value]
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            found, value = self._fresh(key, version)  # built meanwhile by another request
            if found:
                return value  # type: ignore[return-value]
            try:
                built = build()
            except BaseException:
                with self._lock:
                    self._building.pop(key, None)
                raise
            with self._lock:
                self._store(key, version, built)
                self._building.pop(key, None)
            return built

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._size = 0
