"""Structured logging: structlog renders stdlib and structlog records alike.

Every line carries the tenant schema the connection is set to, so a log line can always be
traced to the venue organisation it concerns.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog


def add_tenant_schema(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    try:
        from django.db import connection

        event_dict.setdefault("tenant", getattr(connection, "schema_name", None))
    except Exception:  # logging must never fail because Django is not ready
        pass
    return event_dict


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    add_tenant_schema,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def build_formatter(renderer: str = "console") -> logging.Formatter:
    """Formatter for settings.LOGGING; also configures structlog once."""
    if not structlog.is_configured():
        structlog.configure(
            processors=[
                *SHARED_PROCESSORS,
                structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
            ],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )
    # Tracebacks as Python prints them, in both formats: the console renderer's default
    # (rich, with every frame's locals) put connection passwords into the log and took
    # seconds per logged exception (each cache error while Redis is down); the JSON one
    # wrote the exception's repr and no traceback at all.
    if renderer == "json":
        # The traceback as one string field, "exception" (JSON cannot hold the raw tuple).
        final = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        final = [structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback)]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
