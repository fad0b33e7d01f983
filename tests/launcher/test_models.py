"""`FAAS.py models list|pull`: what is needed, what is missing, one clear line per failure."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.pipeline import write_config
from tests.servers import ROOT, free_port
from tests.standin_models import write_deepface_standins


def models(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "FAAS.py", "models", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_list_on_a_fresh_weights_dir_names_the_missing_files_and_fails(tmp_path: Path) -> None:
    config = write_config(tmp_path / "faas.yaml", weights_dir="weights",
                          cameras=[{"id": "a", "url": "a.mp4", "actions": ["age", "gender"]}])
    result = models("list", "--config", str(config))
    assert result.returncode == 1
    for file in ("retinaface.onnx", "age_model_weights.onnx", "gender_model_weights.onnx"):
        assert f"{file}" in result.stdout and "MISSING" in result.stdout
    assert "race_model" not in result.stdout  # no camera asks for race
    assert str(tmp_path / "weights" / ".deepface" / "weights") in result.stdout  # relative to the config

    write_deepface_standins(tmp_path / "weights")
    partly = models("list", "--config", str(config))
    assert partly.returncode == 1 and "1 of 3 files missing" in partly.stdout
    assert "age_model_weights.onnx" in partly.stdout and "present" in partly.stdout


def test_pull_without_network_fails_with_one_line_per_file(tmp_path: Path) -> None:
    config = write_config(tmp_path / "faas.yaml", weights_dir=str(tmp_path / "weights"),
                          cameras=[{"id": "a", "url": "a.mp4", "actions": ["age", "emotion"]}])
    closed = f"http://127.0.0.1:{free_port()}"  # no network, whatever this machine can reach
    result = models("pull", "--config", str(config),
                    env={"HTTPS_PROXY": closed, "HTTP_PROXY": closed, "NO_PROXY": ""})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "retinaface.onnx", "age_model_weights.onnx", "facial_expression_model_weights.onnx"]
    assert all("download failed from github.com, huggingface.co" in line for line in lines)
    assert not list((tmp_path / "weights").rglob("*.onnx"))  # no half-written file left


def test_offline_profile_needs_nothing() -> None:
    result = models("list", "--config", str(ROOT / "config" / "offline.yaml"))
    assert result.returncode == 0 and "nothing to download" in result.stdout
