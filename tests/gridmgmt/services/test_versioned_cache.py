"""The per-process cache of built results: rebuilt on a new data version, bounded, and one
build at a time per key."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from gridmgmt.services.versioned_cache import VersionedCache


def test_a_value_is_built_once_per_version() -> None:
    cache: VersionedCache[str] = VersionedCache(4)
    builds: list[str] = []

    def build(value: str) -> str:
        builds.append(value)
        return value

    assert cache.get("county", (1, "t1"), lambda: build("a")) == "a"
    assert cache.get("county", (1, "t1"), lambda: build("b")) == "a"  # cached
    assert cache.get("county", (2, "t2"), lambda: build("c")) == "c"  # data changed
    assert cache.get("county", (1, "t1"), lambda: build("d")) == "d"  # no going back to stale
    assert builds == ["a", "c", "d"]
    assert len(cache) == 1  # one entry per key, not per version


def test_least_recently_used_entries_go_beyond_the_bounds() -> None:
    cache: VersionedCache[bytes] = VersionedCache(3)
    for key in "abc":
        cache.get(key, 0, lambda key=key: key.encode())
    cache.get("a", 0, lambda: b"rebuilt")  # a is used again: b is now the oldest
    cache.get("d", 0, lambda: b"d")
    assert len(cache) == 3
    assert cache.get("b", 0, lambda: b"rebuilt") == b"rebuilt"
    assert cache.get("a", 0, lambda: b"rebuilt") == b"a"


def test_the_total_size_is_bounded_but_the_newest_entry_is_kept() -> None:
    cache: VersionedCache[bytes] = VersionedCache(100, max_size=10, sizeof=len)
    cache.get("a", 0, lambda: b"x" * 4)
    cache.get("b", 0, lambda: b"x" * 4)
    assert cache.size == 8
    cache.get("c", 0, lambda: b"x" * 4)  # 12 > 10: a goes
    assert (len(cache), cache.size) == (2, 8)
    cache.get("b", 1, lambda: b"x")  # a new version replaces, its size with it
    assert (len(cache), cache.size) == (2, 5)
    cache.get("big", 0, lambda: b"x" * 50)  # larger than the bound: kept alone
    assert (len(cache), cache.size) == (1, 50)
    cache.clear()
    assert (len(cache), cache.size) == (0, 0)


def test_concurrent_requests_for_a_cold_key_build_it_once() -> None:
    cache: VersionedCache[int] = VersionedCache(4)
    builds = 0
    lock = threading.Lock()

    def build() -> int:
        nonlocal builds
        with lock:
            builds += 1
        time.sleep(0.2)  # a slow build: the others arrive meanwhile
        return 42

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: cache.get("map", 7, build), range(8)))
    assert answers == [42] * 8
    assert builds == 1


def test_a_failed_build_stores_nothing_and_the_next_request_builds_again() -> None:
    cache: VersionedCache[int] = VersionedCache(4)

    def fail() -> int:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        cache.get("map", 1, fail)
    assert len(cache) == 0
    assert cache.get("map", 1, lambda: 5) == 5


def test_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        VersionedCache(0)
    with pytest.raises(ValueError, match="go together"):
        VersionedCache(4, max_size=10)
