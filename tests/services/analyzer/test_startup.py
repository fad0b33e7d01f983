"""Analyzer start-up: missing weights are one clear error, refused actions name the camera."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from common.config import FaasConfig
from common.stage import StartupError
from services.analyzer.service import check_actions
from tests.pipeline import write_config
from tests.servers import ROOT, RedisServer


def test_missing_weights_name_file_dir_and_the_ways_out(tmp_path: Path,
                                                        redis_server: RedisServer) -> None:
    weights = tmp_path / "weights"
    weights.mkdir()
    config = write_config(tmp_path / "faas.yaml", redis={"url": redis_server.url},
                          weights_dir=str(weights),
                          cameras=[{"id": "c", "url": "a.mp4", "actions": ["age", "gender"]}])
    result = subprocess.run([sys.executable, "-m", "services.analyzer", "--config", str(config),
                             "--metrics-port", "-1"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert "age_model_weights.onnx, gender_model_weights.onnx" in result.stderr
    assert "race" not in result.stderr  # only what the cameras ask for is needed
    assert str(weights / ".deepface" / "weights") in result.stderr
    assert "weights_dir" in result.stderr and "internet" in result.stderr
    assert "Traceback" not in result.stderr


class AgeOnly:
    name = "age-only"
    produces = frozenset({"age"})


def test_a_camera_asking_for_what_the_backend_cannot_do_is_refused() -> None:
    config = FaasConfig.model_validate(
        {"cameras": [{"id": "door", "url": "a.mp4", "actions": ["age", "race"]}]})
    with pytest.raises(StartupError, match="camera 'door' asks for race"):
        check_actions(config, AgeOnly())  # type: ignore[arg-type]
