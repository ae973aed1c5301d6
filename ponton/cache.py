"""The shared cache (Redis), which never takes a page down with it.

While Redis cannot be reached, every call falls back to this process's own memory: throttles,
cached figures and banners keep working per process instead of failing the request, and the
shared cache is used again as soon as it answers. Each fall-back is logged, at most once a
minute per process.

Under ASGI Django makes a cache object per request (its `caches` are per context, not per
thread), and Django's Redis backend builds its client, and so its connection pool, per cache
object: every request would open a new connection to Redis. Here the cache objects of a
process share one client per configuration, and so one pool of open connections."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")
LOG_EVERY_SECONDS = 60.0


_clients: dict[str, RedisCacheClient] = {}
_clients_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._local = LocMemCache(f"fallback:{server}", {})
        self._logged_at = 0.0
        # As RedisCache builds its client, once per process for this configuration.
        self._client_args = (re.split("[;,]", server), dict(params.get("OPTIONS", {})))
        self._client_key = repr((server, sorted(self._client_args[1].items())))

    @cached_property
    def _cache(self) -> RedisCacheClient:
        with _clients_lock:
            if self._client_key not in _clients:
                servers, options = self._client_args
                _clients[self._client_key] = RedisCacheClient(servers, **options)
            return _clients[self._client_key]

    def _either(self, shared: Callable[[], T], local: Callable[[], T]) -> T:
        try:
            return shared()
        except (RedisError, OSError):
            now = time.monotonic()
            if now - self._logged_at > LOG_EVERY_SECONDS:
                self._logged_at = now
                logger.warning(
                    "Redis cache unreachable: this process uses its own memory meanwhile"
                )
            return local()

    def add(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> bool:
        return self._either(
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            lambda: self._local.add(key, value, timeout, version),
        )

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._either(
            lambda: super(ResilientRedisCache, self).get(key, default, version),
            lambda: self._local.get(key, default, version),
        )

    def set(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> None:
        self._either(
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            lambda: self._local.set(key, value, timeout, version),
        )

    def touch(self, key: Any, timeout: Any = None, version: Any = None) -> bool:
        return self._either(
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version),
            lambda: self._local.touch(key, timeout, version),
        )

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._either(
            lambda: super(ResilientRedisCache, self).delete(key, version),
            lambda: self._local.delete(key, version),
        )

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._either(
            lambda: super(ResilientRedisCache, self).get_many(keys, version),
            lambda: self._local.get_many(keys, version),
        )

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._either(
            lambda: super(ResilientRedisCache, self).has_key(key, version),
            lambda: self._local.has_key(key, version),
        )

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return self._either(
            lambda: super(ResilientRedisCache, self).incr(key, delta, version),
            lambda: self._local.incr(key, delta, version),
        )

    def set_many(self, data: Any, timeout: Any = None, version: Any = None) -> list[Any]:
        return self._either(
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            lambda: self._local.set_many(data, timeout, version),
        )

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._either(
            lambda: super(ResilientRedisCache, self).delete_many(keys, version),
            lambda: self._local.delete_many(keys, version),
        )

    def clear(self) -> None:
        self._either(
            lambda: super(ResilientRedisCache, self).clear(),
            lambda: self._local.clear(),
        )
