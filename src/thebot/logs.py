"""Logging: request ids on every record, rotating files under ``LOG_DIR``, Sentry."""

from __future__ import annotations

import contextvars
import logging
import logging.handlers
import os
from typing import Any

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

LOG_FORMAT = "[%(levelname)s] %(asctime)s %(name)s - %(message)s [request_id=%(request_id)s]"
AUDIT_FORMAT = "[AUDIT] %(asctime)s %(message)s [request_id=%(request_id)s]"
ROTATE_BYTES = 10 * 1024 * 1024
ROTATE_BACKUPS = 10
WORKER_LOGGERS = ("dramatiq", "thebot.tasks", "apscheduler")
_HANDLER_TAG = "_thebot_handler"


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served (or ``-``), and hide task
    arguments: Dramatiq logs whole messages, and arguments may carry secrets (reset mails)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if record.name.startswith("dramatiq") and record.args:
            record.args = redact_messages(record.args)
        return True


def redact_messages(args: Any) -> Any:
    """Replace Dramatiq messages in log arguments by ``actor(message id)``."""
    if isinstance(args, dict):
        return {k: _redact(v) for k, v in args.items()}
    if isinstance(args, tuple):
        return tuple(_redact(a) for a in args)
    return _redact(args)


def _redact(value: Any) -> Any:
    actor = getattr(value, "actor_name", None)
    message_id = getattr(value, "message_id", None)
    if actor and message_id:
        return f"{actor}({message_id})"
    return value


def _rotating(path: str, fmt: str, level: int) -> logging.Handler:
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=ROTATE_BYTES, backupCount=ROTATE_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(fmt))
    handler.setLevel(level)
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_TAG, True)
    return handler


def configure_logging(settings: dict[str, Any]) -> None:
    """Add request ids to console handlers and, with ``LOG_DIR``, the rotating files."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    audit = logging.getLogger("audit")
    audit.setLevel(logging.INFO)
    log_dir = settings.get("log_dir")
    if not log_dir:
        return
    os.makedirs(log_dir, exist_ok=True)
    remove_file_handlers()  # several apps in one process (tests, scripts) must not stack them
    audit.addHandler(_rotating(os.path.join(log_dir, "audit.log"), AUDIT_FORMAT, logging.INFO))
    root.addHandler(_rotating(os.path.join(log_dir, "admin.log"), LOG_FORMAT, logging.WARNING))
    worker = _rotating(os.path.join(log_dir, "worker.log"), LOG_FORMAT, logging.INFO)
    for name in WORKER_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)  # worker.log keeps task progress, not only errors
        logger.addHandler(worker)


def remove_file_handlers() -> None:
    """Detach and close the rotating handlers ``configure_logging`` added."""
    names = ["audit", "", *WORKER_LOGGERS]
    for logger in (logging.getLogger(n) for n in names):
        for handler in [h for h in logger.handlers if getattr(h, _HANDLER_TAG, False)]:
            logger.removeHandler(handler)
            handler.close()


def configure_sentry(settings: dict[str, Any]) -> None:
    dsn = settings.get("sentry_dsn")
    if not dsn:
        return  # no import cost when off
    import sentry_sdk
    from sentry_sdk.integrations.pyramid import PyramidIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[PyramidIntegration()],
        send_default_pii=False,
        environment="development" if settings["debug"] else "production",
    )
