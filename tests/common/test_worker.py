"""The worker loop against real Redis servers: current and 6.0.9 (no XAUTOCLAIM there)."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading

import msgpack
import pytest
import redis

from common.messages import DeadLetter, Frame
from common.worker import RunLimits
from tests.plumbing_stage import GROUP, IN, OUT, make_worker
from tests.servers import ROOT, RedisServer, wait_for

pytestmark = pytest.mark.timeout(120)


def add_frames(client: redis.Redis, seqs: range) -> list[str]:
    return [
        client.xadd(IN, Frame(camera="cam", seq=s, ts_ms=1_000 + s, w=1, h=1, jpeg=b"x").to_fields()).decode()
        for s in seqs
    ]


def out_seqs(client: redis.Redis) -> list[int]:
    return sorted(Frame.from_fields(fields).seq for _, fields in client.xrange(OUT))


def pending(client: redis.Redis) -> int:
    try:
        return int(client.xpending(IN, GROUP)["pending"])
    except redis.ResponseError:  # the stage has not created its group yet
        return 0


def dead_letters(client: redis.Redis) -> list[DeadLetter]:
    return [DeadLetter.from_fields(fields) for _, fields in client.xrange("faas:dlq")]


def start_stage(server: RedisServer, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.plumbing_stage", "--redis-url",
                             server.url, *args], cwd=ROOT)


def test_batch_is_published_and_acked_in_one_transaction(any_redis: RedisServer) -> None:
    client = any_redis.client()
    add_frames(client, range(4))
    seen: list[str] = []
    monitor_ready = threading.Event()

    def watch() -> None:
        with any_redis.client().monitor() as monitor:
            monitor_ready.set()
            for event in monitor.listen():
                command = event["command"].upper()
                if command.startswith(("MULTI", "EXEC", "XADD FAAS:TEST:OUT", "XACK")):
                    seen.append(command.split()[0] + (" OUT" if "FAAS:TEST:OUT" in command else ""))
                if command.startswith("EXEC"):
                    return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    monitor_ready.wait(5)
    make_worker(any_redis.url, batch_size=4, limits=RunLimits(max_messages=4)).run()
    watcher.join(10)
    assert seen == ["MULTI", "XADD OUT", "XADD OUT", "XADD OUT", "XADD OUT", "XACK", "EXEC"]
    assert out_seqs(client) == [0, 1, 2, 3]
    assert pending(client) == 0


def test_entries_of_a_consumer_killed_mid_batch_are_reclaimed(any_redis: RedisServer) -> None:
    client = any_redis.client()
    add_frames(client, range(5))
    doomed = start_stage(any_redis, "--consumer", "doomed", "--sleep", "60", "--batch-size", "5")
    try:
        wait_for(lambda: pending(client) == 5, timeout=30, message="5 entries pending on doomed")
        assert client.xlen(OUT) == 0  # nothing published before the batch commits
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
    survivor = make_worker(any_redis.url, consumer="survivor", claim_idle=0.3, batch_size=5,
                           limits=RunLimits(max_messages=5))
    survivor.run()
    assert out_seqs(client) == [0, 1, 2, 3, 4]
    assert pending(client) == 0
    assert dead_letters(client) == []


def test_poison_entry_goes_to_dlq_after_max_deliveries_and_stage_keeps_running(
    any_redis: RedisServer,
) -> None:
    client = any_redis.client()
    ids = add_frames(client, range(6))
    stage = start_stage(any_redis, "--fail-seq", "3", "--claim-idle", "0.3", "--max-deliveries", "2")
    try:
        letters = wait_for(lambda: dead_letters(client), timeout=30, message="a dead letter")
        assert [(d.entry_id, d.stage, d.source_stream) for d in letters] == [(ids[3], "plumbing", IN)]
        assert letters[0].deliveries == 3
        assert letters[0].reason.startswith("max_deliveries")
        assert "poison frame seq=3" in letters[0].reason
        assert Frame.from_fields({b"m": letters[0].payload}).seq == 3
        assert out_seqs(client) == [0, 1, 2, 4, 5]
        wait_for(lambda: pending(client) == 0, timeout=10, message="nothing pending")
        add_frames(client, range(10, 12))  # still alive and working
        wait_for(lambda: len(out_seqs(client)) == 7, timeout=10, message="later frames processed")
        assert stage.poll() is None
    finally:
        stage.terminate()
        assert stage.wait(15) == 0


@pytest.mark.parametrize("payload, reason", [
    (b"\xc1 not msgpack", "not msgpack"),
    (msgpack.packb({"v": 99, "camera": "cam"}), "unknown schema version 99"),
    (msgpack.packb({"v": 1, "camera": "cam", "seq": "one"}), "missing"),
    (msgpack.packb([1, 2, 3]), "expected a map"),
])
def test_undecodable_entry_goes_to_dlq_at_once(any_redis: RedisServer, payload: bytes,
                                               reason: str) -> None:
    client = any_redis.client()
    bad = client.xadd(IN, {b"m": payload}).decode()
    add_frames(client, range(2))
    make_worker(any_redis.url, limits=RunLimits(max_messages=3)).run()
    [letter] = dead_letters(client)
    assert (letter.entry_id, letter.deliveries, letter.payload) == (bad, 1, payload)
    assert letter.reason.startswith("decode_error") and reason in letter.reason
    assert out_seqs(client) == [0, 1]
    assert pending(client) == 0


def test_sigterm_finishes_the_batch_in_hand_and_exits_zero(any_redis: RedisServer) -> None:
    client = any_redis.client()
    add_frames(client, range(3))
    stage = start_stage(any_redis, "--consumer", "graceful", "--sleep", "2", "--batch-size", "3")
    wait_for(lambda: pending(client) == 3, timeout=30, message="a batch in hand")
    stage.send_signal(signal.SIGTERM)
    assert stage.wait(30) == 0
    assert out_seqs(client) == [0, 1, 2]
    assert pending(client) == 0
    consumers = [c["name"] for c in client.xinfo_consumers(IN, GROUP)]
    assert b"graceful" not in consumers and "graceful" not in consumers


def test_finite_mode_stops_when_idle(redis_server: RedisServer) -> None:
    worker = make_worker(redis_server.url, block=0.1, limits=RunLimits(idle_exit_s=0.5))
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and worker.processed == 0


def test_worker_rides_out_a_redis_restart(redis_server: RedisServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.servers import start_redis

    server = start_redis(redis_server.binary, tmp_path, name="restartable")
    client = server.client()
    add_frames(client, range(2))
    worker = make_worker(server.url, limits=RunLimits(max_messages=4), block=0.2)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    wait_for(lambda: client.xlen(OUT) == 2, timeout=10, message="first frames")
    server.stop()
    from common.metrics import REDIS_RECONNECTS

    wait_for(lambda: REDIS_RECONNECTS.labels("plumbing")._value.get() > 0, timeout=20,
             message="a counted reconnect attempt")
    server = start_redis(redis_server.binary, tmp_path, name="restarted", port=server.port)
    client = server.client()
    add_frames(client, range(10, 12))  # the old data is gone with the old server
    thread.join(30)
    assert not thread.is_alive()
    assert out_seqs(client) == [10, 11]
    server.stop()
