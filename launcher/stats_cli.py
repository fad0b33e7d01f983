"""`FAAS.py stats`: the aggregator's numbers in a terminal table, or its JSON for scripts.

It asks the running aggregator's API, so the terminal shows exactly what the dashboard and
/api/stats show.
"""
from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from rich.console import Console
from rich.table import Table

from common.config import FaasConfig


def api_base(config: FaasConfig) -> str:
    host = config.aggregator.api_host
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{host}:{config.aggregator.api_port}"


def fetch_stats(config: FaasConfig, *, camera: str, window: str, at: int | None) -> Any:
    query = {"camera": camera, "window": window, **({"at": str(at)} if at is not None else {})}
    url = f"{api_base(config)}/api/stats?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def render(stats: Any, *, window: str) -> Table:
    minimum = stats.get("min_sample", 20)
    table = Table(title=f"{stats['faces']} faces · {stats['camera']} · last {window}")
    for column in ("attribute", "value", "count", "share", "sample"):
        table.add_column(column, justify="right" if column in ("count", "share") else "left")
    for attribute, shares in stats["attributes"].items():
        n = shares["n"]
        note = "" if n == 0 else f"n={n}" + (" too few" if n < minimum else "")
        for i, (value, entry) in enumerate(shares["values"].items()):
            table.add_row(attribute if i == 0 else "", value, str(entry["count"]),
                          f"{100 * entry['share']:.1f}%", note if i == 0 else "",
                          style="dim" if n < minimum else "")
    return table


def stats_command(config: FaasConfig, *, camera: str, window: str, as_json: bool,
                  at: int | None) -> int:
    try:
        stats = fetch_stats(config, camera=camera, window=window, at=at)
    except urllib.error.HTTPError as exc:
        print(f"FAAS stats: {json.loads(exc.read()).get('error', exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"FAAS stats: no aggregator answers at {api_base(config)} ({exc}); "
              f"is FAAS.py running with this config?", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(stats))
    else:
        Console().print(render(stats, window=window))
    return 0
