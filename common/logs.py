"""Process-wide logging: one format with key=value context, model frameworks quieted."""
from __future__ import annotations

import logging
import os
import sys

NOISY_LOGGERS = ("tensorflow", "absl", "h5py", "urllib3", "PIL", "matplotlib")


def setup_logging(level: str = "INFO", *, process: str = "faas") -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before any TensorFlow import
    logging.basicConfig(
        level=getattr(logging, level),
        format=f"%(asctime)s %(levelname)s {process} %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
