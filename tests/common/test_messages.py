"""Messages round-trip through msgpack with DESIGN.md's keys, and bad ones raise BadMessage."""
from __future__ import annotations

import msgpack
import pytest

from common.messages import Attributes, BadMessage, Face, Frame
from common.secrets import redact_url


def test_frame_round_trip_uses_design_keys() -> None:
    frame = Frame(camera="c", seq=3, ts_ms=1234, w=2, h=1, jpeg=b"\xff\xd8")
    fields = frame.to_fields()
    wire = msgpack.unpackb(fields[b"m"])
    assert list(wire)[0] == "v" and set(wire) == {"v", "camera", "seq", "ts", "w", "h", "jpeg"}
    assert Frame.from_fields(fields) == frame


def test_absent_attributes_are_absent_not_null() -> None:
    attrs = Attributes(face_id="1-0/0", camera="c", ts_ms=1, backend="b", age=31.0)
    wire = msgpack.unpackb(attrs.to_fields()[b"m"])
    assert "gender" not in wire and "race" not in wire and wire["age"] == 31.0
    assert Attributes.from_fields(attrs.to_fields()) == attrs


@pytest.mark.parametrize("payload, message", [
    ({"v": 1, "face_id": "x", "camera": "c", "frame_id": "f", "seq": 1, "ts": 1, "box": [1, 2, 3],
      "score": 0.9, "landmarks": {}, "jpeg": b""}, "box_xywh"),
    ({"v": 1, "face_id": "x", "camera": "c", "frame_id": "f", "seq": True, "ts": 1,
      "box": [1, 2, 3, 4], "score": 0.9, "landmarks": {}, "jpeg": b""}, "seq"),
    ({"v": 2}, "unknown schema version 2"),
])
def test_bad_face(payload: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(BadMessage, match=message):
        Face.from_fields({b"m": msgpack.packb(payload)})


@pytest.mark.parametrize("url, safe", [
    ("rtsp://admin:hunter2@10.0.0.5:554/s", "rtsp://admin:***@10.0.0.5:554/s"),
    ("rtsp://10.0.0.5/s", "rtsp://10.0.0.5/s"),
    ("videos/a.mp4", "videos/a.mp4"),
    ("http://:tok@host/x", "http://***@host/x"),
])
def test_redact_url(url: str, safe: str) -> None:
    assert redact_url(url) == safe
