"""`python -m services.ingest --config FILE`: read every enabled camera. Exits 0 when stopped,
or when every camera was a file that ended."""
from __future__ import annotations

import sys

from common.stage import StageArgs, main
from common.streams import connect
from services.ingest.service import IngestService


def build(args: StageArgs) -> IngestService:
    return IngestService(args.config, connect(args.redis_url))


if __name__ == "__main__":
    sys.exit(main("ingest", build, default_metrics_port=lambda c, r: c.metrics_port("ingest", r)))
