"""Counting hits in a fixed window, shared by every process through the cache."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def key_for(kind: str, value: str) -> str:
    """A cache key for `value` (an address, an email) that does not store it in clear."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"ratelimit:{kind}:{digest}"


def hit(key: str, *, limit: int, window: int) -> bool:
    """Count one more hit on `key`; True once the window holds more than `limit`."""
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count > limit


def reached(key: str, *, limit: int) -> bool:
    """Whether `key` already holds `limit` hits (without counting one more)."""
    return int(cache.get(key) or 0) >= limit
