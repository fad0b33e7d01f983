"""`python -m services.analyzer --config FILE`: run one analyzer; start more to scale out."""
from __future__ import annotations

import logging
import sys

from common import keys
from common.messages import Face
from common.modelenv import apply_model_env, load_models
from common.stage import StageArgs, StartupError, main, reloaded_config
from common.streams import connect
from common.worker import StreamWorker

log = logging.getLogger("services.analyzer")


def build(args: StageArgs) -> StreamWorker[Face]:
    config = args.config
    apply_model_env(config)
    from services.analyzer.backends import REGISTRY
    from services.analyzer.service import AnalyzerService

    choice = config.analyzer.backend
    backend = load_models(config, REGISTRY.weight_files(choice, config),
                          lambda: REGISTRY.create(choice, config))
    service = AnalyzerService(config, backend)
    def reload(_worker: StreamWorker[Face]) -> None:
        new = reloaded_config(args)
        if new is not None:
            try:
                service.use_cameras(new)
            except StartupError as exc:
                log.error("reload refused: %s", exc)

    return StreamWorker(
        connect(args.redis_url), stage="analyzer", group=keys.ANALYZER_GROUP,
        streams=[keys.FACES_STREAM], message_type=Face, handle=service.handle,
        settings=config.analyzer, consumer=args.consumer, limits=args.limits, on_reload=reload,
    )


if __name__ == "__main__":
    sys.exit(main("analyzer", build))
