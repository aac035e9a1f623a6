"""What an operator reads in the log when something fails: the traceback, in both formats,
and never the values of the failing code's variables (a connection's password among them)."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from pos.logging import build_formatter

SECRET = "s3cret-db-password"


def _log_a_failure(renderer: str, *, via_structlog: bool) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter(renderer))
    logger = logging.getLogger(f"pos.test_logging.{renderer}.{via_structlog}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        def connect(password: str) -> None:
            raise ConnectionError("connection refused")

        connect(SECRET)
    except ConnectionError:
        if via_structlog:
            structlog.get_logger(logger.name).exception("db.unreachable", attempt=1)
        else:
            logger.exception("db.unreachable")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize("via_structlog", [False, True], ids=["stdlib", "structlog"])
def test_json_lines_carry_the_traceback_as_text(via_structlog):
    line = json.loads(_log_a_failure("json", via_structlog=via_structlog))
    assert line["event"] == "db.unreachable"
    assert line["level"] == "error"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].rstrip().endswith("ConnectionError: connection refused")
    assert "in connect" in line["exception"]
    assert "exc_info" not in line
    assert SECRET not in json.dumps(line)


@pytest.mark.parametrize("via_structlog", [False, True], ids=["stdlib", "structlog"])
def test_console_lines_show_the_plain_traceback_without_locals(via_structlog):
    text = _log_a_failure("console", via_structlog=via_structlog)
    assert "db.unreachable" in text
    assert "Traceback (most recent call last):" in text
    assert "ConnectionError: connection refused" in text
    assert SECRET not in text
