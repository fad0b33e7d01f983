"""The aggregator's HTTP server: the JSON API (/api/stats, /api/timeline, /api/cameras,
/api/status, /healthz) and the dashboard (/, /static/...).

Standard-library HTTP server in its own thread: the API is small, read-only and must not
pull a web framework into every deployment.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import redis

from common import keys
from common.config import FaasConfig, parse_duration
from common.pipeline_status import pipeline_status
from common.streams import text
from services.aggregator.store import AggregateStore

log = logging.getLogger(__name__)


MAX_BUCKETS = 1440
STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".png": "image/png"}


def window_label(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def static_file(path: str) -> Path | None:
    """The dashboard file for a URL path, never anything outside the static folder."""
    relative = "index.html" if path in ("/", "/index.html") else path.removeprefix("/static/")
    if relative == path:
        return None
    candidate = (STATIC / relative).resolve()
    return candidate if candidate.is_file() and STATIC in candidate.parents else None


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class Api:
    """Route handlers, kept apart from the HTTP plumbing so they read as plain functions."""

    def __init__(self, config: FaasConfig, client: redis.Redis) -> None:
        self.config = config
        self.client = client
        self.store = AggregateStore(client)

    def route(self, path: str, query: dict[str, list[str]]) -> Any:
        routes: dict[str, Callable[[dict[str, list[str]]], Any]] = {
            "/healthz": self.healthz, "/api/cameras": self.cameras, "/api/stats": self.stats,
            "/api/timeline": self.timeline, "/api/status": self.status,
        }
        if path not in routes:
            raise ApiError(HTTPStatus.NOT_FOUND, f"no such endpoint {path}")
        return routes[path](query)

    def healthz(self, _query: dict[str, list[str]]) -> Any:
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, f"redis unavailable: {exc}") from None
        return {"ok": True}

    def cameras(self, _query: dict[str, list[str]]) -> Any:
        pipe = self.client.pipeline(transaction=False)
        for camera in self.config.cameras:
            pipe.hgetall(keys.camera_state(camera.id))
        states = pipe.execute()
        return {"cameras": [
            {"id": c.id, "enabled": c.enabled, "fps": c.fps, "source": c.safe_url,
             "actions": list(c.actions) if c.actions else "all the analyzer produces",
             "state": {text(k): text(v) for k, v in state.items()}}
            for c, state in zip(self.config.cameras, states)
        ]}

    def _camera(self, query: dict[str, list[str]]) -> str:
        camera = query.get("camera", ["all"])[0] or "all"
        known = {c.id for c in self.config.cameras} | set(self.store.cameras())
        if camera != "all" and camera not in known:
            raise ApiError(HTTPStatus.NOT_FOUND, f"unknown camera {camera!r}")
        return camera

    @staticmethod
    def _seconds(query: dict[str, list[str]], name: str, default: str) -> float:
        try:
            seconds = float(parse_duration(query.get(name, [default])[0]))
        except ValueError as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"{name}: {exc}") from None
        if seconds <= 0:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"{name} must be positive")
        return seconds

    @staticmethod
    def _at(query: dict[str, list[str]]) -> int | None:
        at = query.get("at", [None])[0]
        try:
            return int(at) if at is not None else None
        except ValueError:
            raise ApiError(HTTPStatus.BAD_REQUEST, "at must be epoch milliseconds") from None

    def stats(self, query: dict[str, list[str]]) -> Any:
        camera, window = self._camera(query), self._seconds(query, "window", "300")
        result = self.store.stats(camera, window, now_ms=self._at(query))
        result["min_sample"] = self.config.aggregator.min_sample
        return result

    def timeline(self, query: dict[str, list[str]]) -> Any:
        camera = self._camera(query)
        window, step = self._seconds(query, "window", "1h"), self._seconds(query, "step", "1m")
        if window / step > MAX_BUCKETS:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"at most {MAX_BUCKETS} steps per window")
        return self.store.timeline(camera, window, step, now_ms=self._at(query))

    def status(self, _query: dict[str, list[str]]) -> Any:
        result = pipeline_status(self.client, self.config)
        result.update(self.cameras(_query))
        result["now_ms"] = int(time.time() * 1000)
        result["windows"] = [window_label(w) for w in self.config.aggregator.windows]
        result["min_sample"] = self.config.aggregator.min_sample
        return result


def serve_api(api: Api, host: str, port: int) -> ThreadingHTTPServer:
    """Start the API in a daemon thread; returns the server (its port may have been 0)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            page = static_file(url.path)
            if page is not None:
                self._send(HTTPStatus.OK, page.read_bytes(),
                           CONTENT_TYPES.get(page.suffix, "application/octet-stream"))
                return
            try:
                status, body = HTTPStatus.OK, api.route(url.path, parse_qs(url.query))
            except ApiError as exc:
                status, body = exc.status, {"error": str(exc)}
            except redis.RedisError as exc:
                status, body = HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"redis: {exc}"}
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(self, status: HTTPStatus, payload: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("api %s", fmt % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="api", daemon=True).start()
    log.info("api listening host=%s port=%d", host, server.server_port)
    return server
