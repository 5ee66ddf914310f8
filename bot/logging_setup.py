"""Structured (JSON lines) logs under STATE_DIR/logs, identifiers redacted."""

from __future__ import annotations

import json
import logging
import logging.handlers
from datetime import datetime, timezone
from pathlib import Path


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (redacted), exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Formats a record as JSON."""
        from bot.handoff.redact import redact

        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:  # already formatted (and redacted) by RedactingFilter
            entry["exc"] = redact(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


class RedactingFilter(logging.Filter):
    """Removes identifiers from every record before any handler writes it.

    On the handlers (not only in the JSON formatter), so stderr, which the supervisor
    writes to ``STATE_DIR/logs/<name>.log``, is redacted as well: the message with its
    arguments, and the text of an exception (SQL errors quote their parameters).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redacts the record in place; never drops it."""
        from bot.handoff.redact import redact

        if getattr(record, "_redacted", False):
            return True
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        record._redacted = True
        return True


def setup_logging(state_dir: Path, name: str, level: str = "INFO") -> None:
    """Logs to ``STATE_DIR/logs/<name>.jsonl`` (rotated) and to stderr."""
    logs = state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        logs / f"{name}.jsonl", maxBytes=10_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(JsonFormatter())
    stream = logging.StreamHandler()
    stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for handler in (file_handler, stream):
        handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [file_handler, stream]
    root.setLevel(level)
