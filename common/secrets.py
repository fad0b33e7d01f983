"""The one place that strips credentials from URLs before they reach a log, a key or the API."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """Return `url` with any password replaced by `***` (the user name is kept for diagnosis).

    >>> redact_url("rtsp://admin:hunter2@10.0.0.5:554/stream")
    'rtsp://admin:***@10.0.0.5:554/stream'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def redact_text(text: str, secrets: list[str]) -> str:
    """Remove each secret from free text (an exception message that quotes a URL, say)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
