"""Logging to stderr and, once a client is connected, to its ``window/logMessage``.

Stdout carries the LSP stream in stdio mode, so nothing here ever writes to it. Only our own
packages are forwarded to the client: pygls logs every message it sends, and forwarding those
would send a message about each message forever.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable

from lsprotocol import types

OUR_LOGGERS = ("mellum_lsp", "model", "indexing")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str) -> None:
    """Send our loggers to stderr at ``level``; third-party libraries only from WARNING up."""
    root = logging.getLogger()
    if not any(getattr(h, "_mellum_stderr", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._mellum_stderr = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    set_level(level)


def set_level(level: str) -> None:
    """Change our loggers' level (a configuration change takes effect at once)."""
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(LEVELS[level])


class ClientLogHandler(logging.Handler):
    """Forwards records to the client as ``window/logMessage`` through ``send``.

    ``send`` must be safe to call from any thread (the model worker logs too).
    """

    _TYPES = {
        logging.ERROR: types.MessageType.Error,
        logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info,
        logging.DEBUG: types.MessageType.Log,
    }

    def __init__(self, send: Callable[[types.LogMessageParams], None]) -> None:
        super().__init__()
        self._send = send
        self._busy = threading.local()
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._busy, "active", False):
            return
        self._busy.active = True
        try:
            kind = self._TYPES.get(record.levelno - record.levelno % 10, types.MessageType.Error)
            self._send(types.LogMessageParams(type=kind, message=self.format(record)))
        except Exception:
            self.handleError(record)
        finally:
            self._busy.active = False


def attach_client(handler: ClientLogHandler) -> None:
    for name in OUR_LOGGERS:
        logging.getLogger(name).addHandler(handler)


def detach_client(handler: ClientLogHandler) -> None:
    for name in OUR_LOGGERS:
        logging.getLogger(name).removeHandler(handler)
