"""`FAAS.py models list|pull`: what weight files the configured backends need, and fetching
them into weights_dir with the packages' own downloader, for sites that copy the folder over."""
from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

from common.config import FaasConfig
from common.modelenv import apply_model_env, weights_folder

# deepface logs every attempt at length; these commands print one line per file themselves.
os.environ.setdefault("DEEPFACE_LOG_LEVEL", str(logging.ERROR))


@dataclass(frozen=True)
class Needed:
    file: str
    stage: str
    backend: str
    urls: list[str]


def needed(config: FaasConfig) -> list[Needed]:
    apply_model_env(config)  # the engine decides which files (and which modules name them)
    from services.analyzer.backends import REGISTRY as ANALYZERS
    from services.detector.backends import REGISTRY as DETECTORS

    found = []
    for stage, registry, choice in (("detector", DETECTORS, config.detector.backend),
                                    ("analyzer", ANALYZERS, config.analyzer.backend)):
        for file, urls in registry.weights(choice, config).items():
            found.append(Needed(file, stage, choice.type, urls))
    return found


def _size(num_bytes: int) -> str:
    return f"{num_bytes / 1e6:,.1f} MB"


def list_models(config: FaasConfig) -> int:
    folder = weights_folder(config)
    files = needed(config)
    print(f"weights folder: {folder}  (engine: {config.engine})")
    if not files:
        print("nothing to download: the configured backends ship their models")
        return 0
    missing = 0
    for item in files:
        path = folder / item.file
        status = f"present  {_size(path.stat().st_size)}" if path.is_file() else "MISSING"
        missing += not path.is_file()
        print(f"  {item.file:42} {item.stage}/{item.backend:11} {status}")
    if missing:
        print(f"{missing} of {len(files)} files missing: run `python FAAS.py models pull` "
              f"where there is internet, then copy {folder.parent.parent} here")
    return 1 if missing else 0


def pull_models(config: FaasConfig) -> int:
    folder = weights_folder(config)
    files = [item for item in needed(config) if not (folder / item.file).is_file()]
    if not files:
        print(f"all weights present in {folder}")
        return 0
    from deepface.commons.weight_utils import download_weights_if_necessary

    failed = 0
    for item in files:
        try:
            download_weights_if_necessary(file_name=item.file, source_url=item.urls)
        except Exception as exc:  # noqa: BLE001 - any failure becomes one line for this file
            failed += 1
            cause = exc.__cause__ or exc
            why = ("cannot resolve the host name (no internet here?)"
                   if "NameResolution" in str(cause) else type(cause).__name__)
            hosts = ", ".join(sorted({urlsplit(u).hostname or u for u in item.urls}))
            print(f"{item.file}: download failed from {hosts}: {why}", file=sys.stderr)
        else:
            print(f"{item.file}: ok")
    return 1 if failed else 0
