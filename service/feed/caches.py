"""Small thread-safe in-process caches for the public feed's hot path."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import Cache, LRUCache, TTLCache


class LockedCache:
    """A cachetools cache behind a lock (gunicorn threads, the test server's threads)."""

    def __init__(self, cache: Cache[Hashable, Any]) -> None:
        self._cache = cache
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            return self._cache.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._cache[key] = value

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value


def rendered_pages(max_pages: int) -> LockedCache:
    """Bodies by a key that changes whenever their content would (an article's feed
    version), so an entry is never stale; the least recently used are dropped."""
    return LockedCache(LRUCache(maxsize=max(max_pages, 1)))


def article_states(seconds: float) -> LockedCache:
    """Articles' feed versions, trusted for a moment: readers on other workers see a change
    at most this late (well inside the feed's Cache-Control max-age); this worker's own
    changes clear it at once."""
    return LockedCache(TTLCache(maxsize=4096, ttl=seconds))
