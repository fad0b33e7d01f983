"""`python -m services.detector --config FILE`: run one detector process."""
from __future__ import annotations

import sys

from common import keys
from common.messages import Frame
from common.modelenv import apply_model_env, load_models
from common.stage import StageArgs, main, reloaded_config
from common.streams import connect
from common.worker import StreamWorker


def build(args: StageArgs) -> StreamWorker[Frame]:
    config = args.config
    apply_model_env(config)
    from services.detector.backends import REGISTRY
    from services.detector.service import DetectorService

    choice = config.detector.backend
    backend = load_models(config, REGISTRY.weight_files(choice, config),
                          lambda: REGISTRY.create(choice, config))
    service = DetectorService(config, backend)
    def reload(worker: StreamWorker[Frame]) -> None:
        new = reloaded_config(args)
        if new is not None:
            worker.set_streams([keys.frames_stream(c.id) for c in new.enabled_cameras])

    return StreamWorker(
        connect(args.redis_url), stage="detector", group=keys.DETECTOR_GROUP,
        streams=[keys.frames_stream(c.id) for c in config.enabled_cameras],
        message_type=Frame, handle=service.handle, settings=config.detector,
        consumer=args.consumer, limits=args.limits, on_reload=reload,
    )


if __name__ == "__main__":
    sys.exit(main("detector", build))
