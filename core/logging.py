"""Logging for every process: ids, never PHI; no query strings; no token paths."""

from __future__ import annotations

import logging
import re
import sys

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TOKENISH = re.compile(r"^[A-Za-z0-9_\-.~=]{20,}$")


def redact_path(path: str) -> str:
    """Drop the query string and mask path segments that look like secrets (link tokens).

    UUIDs are record ids and stay; any other long opaque segment is treated as a token.
    """
    path = path.split("?", 1)[0].split("#", 1)[0]
    parts = path.split("/")
    return "/".join("[redacted]" if _TOKENISH.match(p) and not _UUID.match(p) else p for p in parts)


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if getattr(configure_logging, "_done", False):
        root.setLevel(level.upper())
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
    )
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own access log prints query strings: ours (api.middleware) replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    configure_logging._done = True  # type: ignore[attr-defined]
