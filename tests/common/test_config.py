"""Config errors name file, line and field, and exit 2; secrets come from the environment."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from common.config import load_config, parse_duration
from common.yamlsource import ConfigError
from tests.servers import ROOT

GOOD = """\
cameras:
  - id: door
    url: rtsp://viewer:${DOOR_PASS}@192.0.2.1/stream
    fps: 2
detector:
  backend: {type: deepface, detector_backend: opencv}
"""


def check(path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "FAAS.py", "check-config", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("text, line, expected", [
    ("cameras:\n  - id: door\n    fps: 2\n", 2, "cameras.0: give exactly one of url or device"),
    ("cameras:\n  - url: a.mp4\n    fps: 2\n", 2, "cameras.0.id: Field required"),
    ("cameras:\n  - id: door\n    url: a.mp4\n    fps: fast\n", 4, "cameras.0.fps: Input should be a valid number"),
    ("cameras:\n  - id: door\n    url: a.mp4\n    colour: red\n", 4, "cameras.0.colour: unknown key"),
    ("analyzer:\n  replicas: 1\n  batch_sise: 4\n", 3, "analyzer.batch_sise: unknown key"),
    ("detector:\n  block: 5s\n", 2, "detector.block: Input should be less than or equal to 1"),
    ("detector:\n  backend: {type: yolo9000}\n", 2, "unknown detector backend 'yolo9000'"),
    ("detector:\n  backend:\n    type: retinaface\n    threshold: 2\n", 2, "threshold"),
    ("cameras: [\n  {id: a, url: b\n", 3, "invalid YAML"),
    ("cameras:\n  - {id: a, url: a.mp4}\n  - {id: a, url: b.mp4}\n", 2, "camera id 'a' is used twice"),
    ("cameras:\n  - {id: a, url: '${NOT_SET_ANYWHERE}'}\n", 2, "environment variable NOT_SET_ANYWHERE is not set"),
])
def test_bad_config_names_file_line_and_field_and_exits_2(tmp_path: Path, text: str, line: int,
                                                          expected: str) -> None:
    path = tmp_path / "faas.yaml"
    path.write_text(text)
    result = check(path)
    assert result.returncode == 2
    assert f"{path}:{line}: " in result.stderr and expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_good_config_substitutes_env_and_never_prints_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "faas.yaml"
    path.write_text(GOOD)
    result = check(path, env={"DOOR_PASS": "s3cr3t-pw", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "door" in result.stdout and "s3cr3t-pw" not in result.stdout + result.stderr


def test_loaded_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOOR_PASS", "pw")
    path = tmp_path / "faas.yaml"
    path.write_text(GOOD)
    config = load_config(path)
    assert config.cameras[0].url == "rtsp://viewer:pw@192.0.2.1/stream"
    assert config.cameras[0].safe_url == "rtsp://viewer:***@192.0.2.1/stream"
    assert "pw" not in repr(config.cameras[0])
    assert config.aggregator.windows == (60, 300, 900, 3600)


def test_shipped_configs_are_valid() -> None:
    for name in ("faas.yaml", "example.yaml"):
        load_config(ROOT / "config" / name)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(ROOT / "config" / "nope.yaml")


@pytest.mark.parametrize("text, seconds", [
    ("500ms", 0.5), ("5s", 5), ("1m", 60), ("1.5h", 5400), ("30", 30),
])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
