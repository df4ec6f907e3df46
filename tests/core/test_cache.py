"""Préau's Redis cache backend reuses one client per pool (and still behaves as a cache)."""

from __future__ import annotations

import os

import pytest

from preau.cache import PreauRedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="needs REDIS_URL (runs in CI's PostgreSQL + Redis pass)"
)


def test_one_client_serves_every_operation_and_values_round_trip() -> None:
    cache = PreauRedisCache(REDIS_URL, {"KEY_PREFIX": "preau-test-cache"})
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client
    cache.set("answer", {"n": 42}, 30)
    assert cache.get("answer") == {"n": 42}
    assert cache.add("counter", 1, 30)
    assert cache.incr("counter") == 2
    assert cache.get("counter") == 2
    cache.delete_many(["answer", "counter"])
    assert cache.get("answer") is None
