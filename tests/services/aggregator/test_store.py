"""Rolling-window counts in real Redis sorted sets, and the HTTP API over real HTTP."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import redis

from common import keys
from common.config import FaasConfig
from common.messages import Attributes
from common.worker import RunLimits, StreamWorker
from services.aggregator.api import Api, serve_api
from services.aggregator.service import tally
from services.aggregator.store import AggregateStore, Tally, age_band

NOW = 1_700_000_000_000
WINDOW_S = 60


def attrs(face_id: str, ts_ms: int, *, camera: str = "cam", gender: str = "Woman",
          age: float = 30.0) -> Attributes:
    return Attributes(face_id=face_id, camera=camera, ts_ms=ts_ms, backend="test", age=age,
                      gender=gender, gender_score=99.0, emotion="happy")


def write(client: redis.Redis, *items: Attributes) -> None:
    pipe = client.pipeline(transaction=True)
    for item in items:
        Tally(item).apply(pipe)
    pipe.execute()


@pytest.mark.parametrize("age, band", [
    (0, "0-17"), (17.9, "0-17"), (18, "18-24"), (24, "18-24"), (25, "25-34"), (44, "35-44"),
    (54.5, "45-54"), (64, "55-64"), (65, "65+"), (101, "65+"),
])
def test_age_bands(age: float, band: str) -> None:
    assert age_band(age) == band


def test_window_edges_are_inclusive_and_future_is_excluded(client: redis.Redis) -> None:
    window_ms = WINDOW_S * 1000
    write(client,
          attrs("before/0", NOW - window_ms - 1),
          attrs("edge/0", NOW - window_ms, gender="Man"),
          attrs("now/0", NOW),
          attrs("future/0", NOW + 1))
    stats = AggregateStore(client).stats("cam", WINDOW_S, now_ms=NOW)
    assert stats["faces"] == 2
    gender = stats["attributes"]["gender"]
    assert gender["n"] == 2
    assert gender["values"]["Man"] == {"count": 1, "share": 0.5}
    assert gender["values"]["Woman"] == {"count": 1, "share": 0.5}
    # One ms later the edge face has left and the future one has arrived...
    later = AggregateStore(client).stats("cam", WINDOW_S, now_ms=NOW + 1)
    assert later["faces"] == 2 and "Man" not in _seen(later)
    # ...one ms earlier the face before the edge is in and the one at NOW is not yet.
    earlier = AggregateStore(client).stats("cam", WINDOW_S, now_ms=NOW - 1)
    assert earlier["faces"] == 2 and _seen(earlier) == {"Man": 1, "Woman": 1}


def _seen(stats: dict) -> dict[str, int]:  # type: ignore[type-arg]
    values = stats["attributes"]["gender"]["values"]
    return {value: entry["count"] for value, entry in values.items() if entry["count"]}


def test_all_cameras_sum_and_an_absent_attribute_is_not_counted(client: redis.Redis) -> None:
    write(client, attrs("a/0", NOW, camera="a"), attrs("b/0", NOW, camera="b", gender="Man"),
          Attributes(face_id="b/1", camera="b", ts_ms=NOW, backend="test", age=70))
    store = AggregateStore(client)
    everything = store.stats("all", WINDOW_S, now_ms=NOW)
    assert everything["faces"] == 3
    assert everything["attributes"]["gender"]["n"] == 2
    assert everything["attributes"]["age"]["values"]["65+"]["count"] == 1
    assert store.stats("b", WINDOW_S, now_ms=NOW)["faces"] == 2


def test_redelivered_attributes_change_no_count(client: redis.Redis) -> None:
    """The same face published twice (a redelivery upstream) and processed twice."""
    first = attrs("1-0/0", NOW)
    for _ in range(2):
        client.xadd(keys.ATTRIBUTES_STREAM, first.to_fields())
    client.xadd(keys.ATTRIBUTES_STREAM, attrs("1-0/1", NOW, gender="Man").to_fields())
    worker = StreamWorker(client, stage="aggregator", group=keys.AGGREGATOR_GROUP,
                          streams=[keys.ATTRIBUTES_STREAM], message_type=Attributes, handle=tally,
                          settings=FaasConfig().aggregator, limits=RunLimits(max_messages=3))
    worker.run()
    write(client, first)  # and once more, directly
    stats = AggregateStore(client).stats("cam", WINDOW_S, now_ms=NOW)
    assert stats["faces"] == 2
    assert stats["attributes"]["gender"]["values"]["Woman"]["count"] == 1


def test_retention_trims_older_members_only(client: redis.Redis) -> None:
    write(client, attrs("old/0", NOW - 10_001), attrs("kept/0", NOW - 10_000), attrs("new/0", NOW))
    store = AggregateStore(client)
    removed = store.trim(10.0, now_ms=NOW)
    assert removed == 1 + 3  # the face set plus its age, gender and emotion sets
    assert store.stats("cam", 3600, now_ms=NOW)["faces"] == 2
    assert client.zscore(keys.agg_faces("cam"), "old/0") is None


@pytest.fixture
def api_url(client: redis.Redis):  # type: ignore[no-untyped-def]
    config = FaasConfig.model_validate({"cameras": [{"id": "cam", "url": "rtsp://u:secret@h/s"}]})
    server = serve_api(Api(config, client), "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def get(url: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_api_stats_cameras_and_health(client: redis.Redis, api_url: str) -> None:
    write(client, attrs("x/0", NOW), attrs("x/1", NOW - 120_000, gender="Man"))
    status, body = get(f"{api_url}/api/stats?camera=cam&window=1m&at={NOW}")
    assert status == 200 and body["faces"] == 1 and body["window_s"] == 60
    assert body["attributes"]["age"]["values"]["25-34"] == {"count": 1, "share": 1.0}
    assert get(f"{api_url}/api/stats?camera=all&window=300&at={NOW}")[1]["faces"] == 2
    assert get(f"{api_url}/api/stats?camera=nope")[0] == 404
    assert get(f"{api_url}/api/stats?window=soon")[0] == 400
    status, cameras = get(f"{api_url}/api/cameras")
    assert status == 200 and cameras["cameras"][0]["id"] == "cam"
    assert "secret" not in json.dumps(cameras)
    assert get(f"{api_url}/healthz") == (200, {"ok": True})
