"""`python -m services.aggregator --config FILE`: counts, the HTTP API and window gauges."""
from __future__ import annotations

import sys
import threading

from prometheus_client import REGISTRY

from common import keys
from common.messages import Attributes
from common.stage import StageArgs, main, reloaded_config
from common.streams import connect
from common.worker import StreamWorker
from services.aggregator.api import Api, serve_api
from services.aggregator.service import WindowCounts, tally, trim_forever
from services.aggregator.store import AggregateStore


def build(args: StageArgs) -> StreamWorker[Attributes]:
    config = args.config
    client = connect(args.redis_url)
    store = AggregateStore(client)
    REGISTRY.register(WindowCounts(store, config.aggregator.windows))
    api = Api(config, client)
    serve_api(api, config.aggregator.api_host, config.aggregator.api_port)

    def reload(_worker: StreamWorker[Attributes]) -> None:
        new = reloaded_config(args)
        if new is not None:
            api.config = new  # the camera list /api/cameras shows

    worker = StreamWorker(
        client, stage="aggregator", group=keys.AGGREGATOR_GROUP,
        streams=[keys.ATTRIBUTES_STREAM], message_type=Attributes, handle=tally,
        settings=config.aggregator, consumer=args.consumer, limits=args.limits, on_reload=reload,
    )
    threading.Thread(target=trim_forever, args=(store, config, worker.stop),
                     name="trim", daemon=True).start()
    return worker


if __name__ == "__main__":
    sys.exit(main("aggregator", build))
