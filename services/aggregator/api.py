"""The aggregator's HTTP JSON API: /api/cameras, /api/stats, /healthz.

Standard-library HTTP server in its own thread: the API is small, read-only and must not
pull a web framework into every deployment.
"""
from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import redis

from common import keys
from common.config import FaasConfig, parse_duration
from services.aggregator.store import AggregateStore

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Api:
    """Route handlers, kept apart from the HTTP plumbing so they read as plain functions."""

    def __init__(self, config: FaasConfig, client: redis.Redis) -> None:
        self.config = config
        self.client = client
        self.store = AggregateStore(client)

    def route(self, path: str, query: dict[str, list[str]]) -> Any:
        routes: dict[str, Callable[[dict[str, list[str]]], Any]] = {
            "/healthz": self.healthz, "/api/cameras": self.cameras, "/api/stats": self.stats,
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
             "state": {_text(k): _text(v) for k, v in state.items()}}
            for c, state in zip(self.config.cameras, states)
        ]}

    def stats(self, query: dict[str, list[str]]) -> Any:
        camera = query.get("camera", ["all"])[0]
        known = {c.id for c in self.config.cameras} | set(self.store.cameras())
        if camera != "all" and camera not in known:
            raise ApiError(HTTPStatus.NOT_FOUND, f"unknown camera {camera!r}")
        window_text = query.get("window", ["300"])[0]
        try:
            window = float(parse_duration(window_text))
        except ValueError as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"window: {exc}") from None
        if window <= 0:
            raise ApiError(HTTPStatus.BAD_REQUEST, "window must be positive")
        at = query.get("at", [None])[0]
        try:
            now_ms = int(at) if at is not None else None
        except ValueError:
            raise ApiError(HTTPStatus.BAD_REQUEST, "at must be epoch milliseconds") from None
        return self.store.stats(camera, window, now_ms=now_ms)


def serve_api(api: Api, host: str, port: int) -> ThreadingHTTPServer:
    """Start the API in a daemon thread; returns the server (its port may have been 0)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            try:
                status, body = HTTPStatus.OK, api.route(url.path, parse_qs(url.query))
            except ApiError as exc:
                status, body = exc.status, {"error": str(exc)}
            except redis.RedisError as exc:
                status, body = HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"redis: {exc}"}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("api %s", fmt % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="api", daemon=True).start()
    log.info("api listening host=%s port=%d", host, server.server_port)
    return server
