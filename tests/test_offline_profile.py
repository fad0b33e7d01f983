"""`config/offline.yaml` end to end on ../shared/data/videos/walkby.mp4: no download at all,
real models (OpenCV's detector, the `lite` analyzer), and numbers that match the ground truth."""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
import yaml

from common import keys
from common.messages import Face
from tests.pipeline import Faas, free_port_block, write_config
from tests.servers import ROOT, RedisServer, free_port, wait_for
from tests.test_end_to_end import drained

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
CAMERA = "walkby"
FPS, VIDEO_FPS = 2, 10


def truth_gender(walkby: dict, frame: int, box: list[int]) -> str | None:  # type: ignore[type-arg]
    """Gender of the ground-truth face whose box holds this detection's centre."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    for appearance in walkby["appearances"]:
        for entry in appearance["frames"]:
            x, y, w, h = entry["box"]
            if entry["frame"] == frame and x <= cx <= x + w and y <= cy <= y + h:
                return str(appearance["gender"])
    return None


def test_offline_profile_share_of_women_matches_the_ground_truth(
    tmp_path: Path, redis_server: RedisServer, shared_data: Path
) -> None:
    profile = yaml.safe_load((ROOT / "config" / "offline.yaml").read_text())
    profile.update(
        redis={"url": redis_server.url},
        cameras=[{"id": CAMERA, "url": str(shared_data / "videos" / "walkby.mp4"), "fps": FPS,
                  "speed": 3.0, "actions": ["age", "gender", "emotion"]}],
        aggregator={"api_port": (api_port := free_port())},
        metrics={"host": "127.0.0.1", "base_port": free_port_block(8)},
    )
    profile["detector"]["max_frame_age"] = "60s"  # count every frame, however slow this machine
    config = write_config(tmp_path / "offline.yaml", **profile)
    client = redis_server.client()
    faas = Faas.start(config, tmp_path / "faas.log")
    try:
        wait_for(lambda: client.hget(keys.camera_state(CAMERA), "status") == b"ended",
                 timeout=150, interval=0.5, message="the video to end")
        wait_for(lambda: drained(client, CAMERA), timeout=120, interval=0.5, message="drained")
        with urllib.request.urlopen(
            f"http://127.0.0.1:{api_port}/api/stats?camera={CAMERA}&window=1h", timeout=5
        ) as response:
            stats = json.loads(response.read())
    finally:
        assert faas.interrupt() == 0

    walkby = json.loads((shared_data / "videos" / "walkby.json").read_text())
    faces = [Face.from_fields(fields) for _, fields in client.xrange(keys.FACES_STREAM)]
    truths = [truth_gender(walkby, face.seq * VIDEO_FPS // FPS, face.box_xywh) for face in faces]
    matched = [t for t in truths if t is not None]
    assert len(matched) >= 0.8 * len(faces) >= 30  # the detections are of the walking people
    truth_women = matched.count("F") / len(matched)
    gender = stats["attributes"]["gender"]
    assert gender["n"] == stats["faces"] == len(faces)
    api_women = gender["values"].get("Woman", {"share": 0.0})["share"]
    print(f"women share: api {api_women:.3f}, ground truth {truth_women:.3f} "
          f"({len(faces)} faces, {len(matched)} matched)")
    assert abs(api_women - truth_women) <= 0.15, (api_women, truth_women)
    assert "race" not in stats["attributes"] or stats["attributes"]["race"]["n"] == 0
    ages = stats["attributes"]["age"]["values"]
    assert sum(v["count"] for band, v in ages.items() if band in ("0-17", "65+")) <= 0.1 * len(faces)
