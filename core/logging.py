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


class NoExceptionText(logging.Filter):
    """Temporal's SDK logs activity and workflow failures with their tracebacks, whose
    messages can hold row data or form input (a decoding error echoes its input). Keep
    the line, name the exception type, drop the text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("temporalio") and record.exc_info:
            kind = record.exc_info[0].__name__ if record.exc_info[0] else "error"
            record.msg = f"{record.getMessage()} [{kind}; details withheld]"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if getattr(configure_logging, "_done", False):
        root.setLevel(level.upper())
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(NoExceptionText())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
    )
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own access log prints query strings: ours (api.middleware) replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    configure_logging._done = True  # type: ignore[attr-defined]
