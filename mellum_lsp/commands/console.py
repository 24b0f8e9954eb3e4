"""The session's notifier for terminal commands: messages and progress go to stderr."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from mellum_lsp.config import Configuration
from mellum_lsp.session import NotReady, Session

log = logging.getLogger(__name__)


class ConsoleProgress:
    def __init__(self, title: str) -> None:
        self.title = title
        click.echo(f"{title}...", err=True)

    def report(self, message: str, percentage: int | None = None) -> None:
        return None  # per-file progress would drown the answer on stderr

    def end(self, message: str) -> None:
        click.echo(f"{self.title}: {message}", err=True)


class ConsoleNotifier:
    """Shows messages on stderr; streamed deltas are printed by the command itself."""

    def partial_result(self, token: types.ProgressToken, value: dict[str, Any]) -> None:
        return None

    def show_message(self, kind: types.MessageType, message: str) -> None:
        click.echo(f"{kind.name.lower()}: {message}", err=True)

    def begin_progress(self, title: str) -> ConsoleProgress:
        return ConsoleProgress(title)


def open_session(root: Path, config: Configuration, *, one_request: bool = False) -> Session:
    """A session over ``root`` for one terminal command: model loading and indexing start at once.
    With ``one_request``, ``model.compile = auto`` means off: compiling takes longer than one answer."""
    uri = root.resolve().as_uri()
    workspace = Workspace(uri, workspace_folders=[types.WorkspaceFolder(uri=uri, name=root.resolve().name)])
    session = Session(config, ConsoleNotifier(), workspace)
    session.one_request = one_request
    session.scheduler.start()
    session.load_model()
    if config.settings.index.enabled:
        session.build_index()
    return session


def document_for(session: Session, path: Path) -> TextDocument:
    """Open ``path`` in the session's workspace, as an editor's didOpen would."""
    uri = path.resolve().as_uri()
    text = path.read_text(encoding="utf-8")
    session.workspace.put_text_document(types.TextDocumentItem(uri=uri, language_id="", version=0, text=text))
    session.documents.opened(uri, text)
    return session.workspace.get_text_document(uri)


@contextmanager
def one_line_errors(session: Session) -> Iterator[None]:
    """End a terminal command with a one-line reason on failure (the traceback too if it is a bug); close the session."""
    try:
        yield
    except click.ClickException:
        raise
    except Exception as exc:
        if not isinstance(exc, NotReady | ValueError | OSError):
            log.exception("unexpected failure")
        raise click.ClickException(str(exc)) from None
    finally:
        session.close()
