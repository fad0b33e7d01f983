"""`FAAS.py reload` (SIGHUP): a camera added to the YAML starts while the others keep their
readers; a broken edit is refused with its file:line and changes nothing."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Callable

import pytest
import redis
import yaml

from common import keys
from common.streams import group_lag
from tests.pipeline import Faas, free_port_block, write_config
from tests.servers import ROOT, RedisServer, free_port, wait_for
from tests.cameras import RtspServer
from tests.standin_models import write_deepface_standins

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def reload(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "FAAS.py", "reload", "--config", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_reload_adds_a_camera_without_touching_the_running_one(
    tmp_path: Path, redis_server: RedisServer, rtsp: Callable[..., RtspServer], shared_data: Path
) -> None:
    client: redis.Redis = redis_server.client()
    write_deepface_standins(tmp_path / "weights")
    server = rtsp()
    api_port = free_port()
    sections = dict(
        redis={"url": redis_server.url}, weights_dir=str(tmp_path / "weights"),
        cameras=[{"id": "door", "url": server.url(), "fps": 2}],
        detector={"backend": {"type": "deepface", "detector_backend": "opencv"}},
        aggregator={"api_port": api_port},
        metrics={"host": "127.0.0.1", "base_port": free_port_block(8)},
        launcher={"pid_file": str(tmp_path / "faas.pid"), "status_interval": "2s"},
    )
    config = write_config(tmp_path / "faas.yaml", **sections)
    faas = Faas.start(config, tmp_path / "faas.log")
    try:
        wait_for(lambda: client.hget(keys.camera_state("door"), "status") == b"up", timeout=60,
                 message="door up")
        before = client.hgetall(keys.camera_state("door"))

        config.write_text(config.read_text() + "  - {id: oops\n")  # a broken edit
        refused = reload(config)
        assert refused.returncode == 2 and f"{config}:" in refused.stderr

        sections["cameras"].append(  # type: ignore[attr-defined]
            {"id": "lobby", "url": str(shared_data / "videos" / "walkby.mp4"), "fps": 2, "loop": True})
        config.write_text(yaml.safe_dump(sections, sort_keys=False))
        assert reload(config).returncode == 0
        wait_for(lambda: client.hget(keys.camera_state("lobby"), "status") == b"up", timeout=30,
                 message="lobby up")
        # the detector took the new camera's stream on
        wait_for(lambda: group_lag(client, keys.frames_stream("lobby"), keys.DETECTOR_GROUP)
                 is not None, timeout=30, message="detector reading lobby")
        after = client.hgetall(keys.camera_state("door"))
        assert after[b"connected_ms"] == before[b"connected_ms"]  # the same connection
        assert after[b"reconnects"] == b"0" and after[b"status"] == b"up"
        assert "reload: cameras ['door', 'lobby']" in faas.output()

        def api_cameras() -> dict:  # type: ignore[type-arg]
            with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/api/cameras", timeout=5) as r:
                return {c["id"]: c["state"] for c in json.loads(r.read())["cameras"]}

        shown = wait_for(lambda: (c := api_cameras()).get("lobby", {}).get("status") == "up" and c,
                         timeout=15, message="the API showing the new camera")
        assert shown["door"]["status"] == "up"
        assert shown["door"]["resolution"] == "640x480"
    finally:
        assert faas.interrupt() == 0
    assert not (tmp_path / "faas.pid").exists()
