"""The ingest tests run against the current Redis only."""
from __future__ import annotations

import pytest
import redis

from tests.servers import RedisServer


@pytest.fixture
def client(redis_server: RedisServer) -> redis.Redis:
    """The ingest runs against the current server only."""
    return redis_server.client()
