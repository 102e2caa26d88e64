"""A bounded, thread-safe store of rendered response bodies."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from cachetools import LRUCache


class RenderedPages:
    """Bodies by a key that changes whenever their content would (e.g. an article's feed
    version), so an entry is never stale; only the least recently used are dropped."""

    def __init__(self, max_pages: int) -> None:
        self._pages: LRUCache[Hashable, str] = LRUCache(maxsize=max(max_pages, 1))
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        with self._lock:
            body = self._pages.get(key)
        if body is None:
            body = render()
            with self._lock:
                self._pages[key] = body
        return body
