"""Where model weights live and which engine DeepFace/RetinaFace run on, set per model process.

Both packages read `DEEPFACE_BACKEND_ENGINE` once and keep weights under
`$DEEPFACE_HOME/.deepface/weights`; FAAS sets both from config before either is imported, so the
engine never depends on what happens to be installed.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from common.config import FaasConfig
from common.stage import StartupError

T = TypeVar("T")


def weights_folder(config: FaasConfig) -> Path:
    home = config.weights_dir or Path(os.environ.get("DEEPFACE_HOME", Path.home()))
    return Path(home).expanduser().resolve() / ".deepface" / "weights"


def apply_model_env(config: FaasConfig) -> None:
    os.environ["DEEPFACE_BACKEND_ENGINE"] = config.engine
    if config.weights_dir is not None:
        os.environ["DEEPFACE_HOME"] = str(Path(config.weights_dir).expanduser().resolve())


def missing_weights(config: FaasConfig, files: Iterable[str]) -> list[str]:
    folder = weights_folder(config)
    return [name for name in files if not (folder / name).is_file()]


def missing_weights_error(config: FaasConfig, missing: list[str]) -> StartupError:
    folder = weights_folder(config)
    return StartupError(
        f"missing model weights {', '.join(missing)} in {folder}. Either copy them there "
        f"(set weights_dir in the config to the folder that holds .deepface/weights/, "
        f"e.g. one filled by `python FAAS.py models pull` on a machine with internet), "
        f"or give this machine internet access on its first run so the packages download them."
    )


def load_models(config: FaasConfig, files: Iterable[str], build: Callable[[], T]) -> T:
    """Build a backend after checking its weights, turning a missing file into one clear error.

    With weights_dir set (an air-gapped site) a missing file fails at once; without it the
    packages download on first use, and a failed download gives the same error.
    """
    files = list(files)
    missing = missing_weights(config, files)
    if missing and config.weights_dir is not None:
        raise missing_weights_error(config, missing)
    try:
        return build()
    except (ValueError, OSError) as exc:
        still_missing = missing_weights(config, files)
        if still_missing:
            raise missing_weights_error(config, still_missing) from exc
        raise
