"""`python -m services.analyzer --config FILE`: run one analyzer; start more to scale out."""
from __future__ import annotations

import sys

from common import keys
from common.messages import Face
from common.modelenv import apply_model_env, load_models
from common.stage import StageArgs, main
from common.streams import connect
from common.worker import StreamWorker


def build(args: StageArgs) -> StreamWorker[Face]:
    config = args.config
    apply_model_env(config)
    from services.analyzer.backends import REGISTRY
    from services.analyzer.service import AnalyzerService

    choice = config.analyzer.backend
    backend = load_models(config, REGISTRY.weight_files(choice, config),
                          lambda: REGISTRY.create(choice, config))
    service = AnalyzerService(config, backend)
    return StreamWorker(
        connect(args.redis_url), stage="analyzer", group=keys.ANALYZER_GROUP,
        streams=[keys.FACES_STREAM], message_type=Face, handle=service.handle,
        settings=config.analyzer, consumer=args.consumer, limits=args.limits,
    )


if __name__ == "__main__":
    sys.exit(main("analyzer", build, default_metrics_port=lambda c, r: c.metrics_port("analyzer", r)))
