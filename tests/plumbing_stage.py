"""PLUMBING STUB STAGE, for worker-loop tests only: its subject is the loop, not a model.

Runs the real StreamWorker on `faas:test:in` and copies each Frame to `faas:test:out`.
`--sleep` holds each batch before committing (so a test can kill it mid-batch) and
`--fail-seq N` raises on the frame with seq N (a poison entry).
"""
from __future__ import annotations

import argparse
import logging
import sys
import time

from common.config import WorkerSettings
from common.messages import Frame
from common.streams import connect
from common.worker import Inbound, Outcome, Output, RunLimits, StreamWorker

IN, OUT, GROUP = "faas:test:in", "faas:test:out", "plumbing"


def make_worker(redis_url: str, *, sleep: float = 0.0, fail_seq: int | None = None,
                consumer: str | None = None, limits: RunLimits = RunLimits(),
                **settings: float) -> StreamWorker[Frame]:
    def handle(batch: list[Inbound[Frame]]) -> list[Outcome]:
        if sleep:
            time.sleep(sleep)
        for inbound in batch:
            if inbound.message.seq == fail_seq:
                raise RuntimeError(f"poison frame seq={fail_seq}")
        return [[Output(OUT, inbound.message, 10_000)] for inbound in batch]

    return StreamWorker(connect(redis_url), stage="plumbing", group=GROUP, streams=[IN],
                        message_type=Frame, handle=handle, settings=WorkerSettings(**settings),
                        consumer=consumer, limits=limits)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--consumer")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--fail-seq", type=int)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--claim-idle", type=float, default=30.0)
    parser.add_argument("--max-deliveries", type=int, default=3)
    parser.add_argument("--max-messages", type=int)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    worker = make_worker(args.redis_url, sleep=args.sleep, fail_seq=args.fail_seq,
                         consumer=args.consumer, limits=RunLimits(max_messages=args.max_messages),
                         batch_size=args.batch_size, claim_idle=args.claim_idle,
                         max_deliveries=args.max_deliveries)
    worker.install_signal_handlers()
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
