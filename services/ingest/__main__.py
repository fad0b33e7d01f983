"""`python -m services.ingest --config FILE`: read every enabled camera. Exits 0 when stopped,
or when every camera was a file that ended. SIGHUP re-reads the cameras from the config."""
from __future__ import annotations

import os
import sys

# FFmpeg's own log lines can quote a camera URL with its password: keep FFmpeg quiet (its
# errors reach the camera state through our own, redacted messages). Before cv2 is imported.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

from common.stage import StageArgs, main  # noqa: E402
from common.streams import connect  # noqa: E402
from services.ingest.service import IngestService  # noqa: E402


def build(args: StageArgs) -> IngestService:
    return IngestService(args.config, connect(args.redis_url), config_path=args.config_path)


if __name__ == "__main__":
    sys.exit(main("ingest", build))
