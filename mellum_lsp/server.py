"""The language server: each LSP method registered once, as a thin handler that fans out to features.

Features are plain classes (``mellum_lsp/features``) holding the logic; the handlers here only
translate between LSP messages and those classes. Document and settings events fan out to every
feature that defines the hook: ``document_opened(uri, text)``, ``document_changed(change)`` (a
:class:`~mellum_lsp.documents.DocumentChange`), ``document_saved(uri)``, ``document_closed(uri)``,
``files_changed(events)`` and ``settings_changed(settings)``. A feature hook that raises is logged and
skipped, so one broken feature never takes document sync or the other features down. Model work
runs on the session's one worker thread; the handlers await it, so document sync and
``$/cancelRequest`` stay instant while the model runs.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Generator
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from mellum_lsp import __version__, logs
from mellum_lsp.config import Configuration, Layer, load_files
from mellum_lsp.features.chat import ChatFeature
from mellum_lsp.features.code_actions import CodeActionFeature
from mellum_lsp.features.context import ContextFeature
from mellum_lsp.features.index_sync import IndexSyncFeature
from mellum_lsp.features.inline_completion import ACCEPT_COMMAND, InlineCompletionFeature
from mellum_lsp.features.next_edit import NextEditFeature
from mellum_lsp.jsondata import plain
from mellum_lsp.session import NotReady, Session

log = logging.getLogger(__name__)
T = TypeVar("T")

# Methods without an LSP equivalent (documented in the README).
CHAT = "mellum/chat"
NEXT_EDIT = "mellum/nextEdit"
STATUS = "mellum/status"
CONTEXT = "mellum/context"
DID_SHOW = "mellum/didShowCompletion"
DID_ACCEPT = "mellum/didAcceptCompletion"
DID_REJECT = "mellum/didRejectCompletion"


async def answer(awaitable: Awaitable[T]) -> T:
    """Await a feature's result, turning bad params and a missing model into proper JSON-RPC errors."""
    try:
        return await awaitable
    except (ValueError, KeyError) as exc:
        raise JsonRpcInvalidParams(f"invalid params: {exc}") from exc
    except OSError as exc:  # a document that is neither open nor readable from disk
        raise JsonRpcInvalidParams(f"cannot read the document: {exc}") from exc
    except NotReady as exc:
        raise JsonRpcException(str(exc), code=types.LSPErrorCodes.RequestFailed) from exc


class MellumProtocol(LanguageServerProtocol):
    """pygls' protocol, preferring UTF-8 positions when the client offers them, and remembering the exit status."""

    exit_code: int | None = None

    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        general = params.capabilities.general
        if general is not None and general.position_encodings:
            offered = list(general.position_encodings)
            if types.PositionEncodingKind.Utf8 in offered:
                offered.remove(types.PositionEncodingKind.Utf8)
                general.position_encodings = [types.PositionEncodingKind.Utf8, *offered]
        return (yield from super().lsp_initialize(params))

    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        self.exit_code = 0 if self._shutdown else 1
        if getattr(self._server, "_server", None) is None:  # stdio: pygls ends its loop with SystemExit
            return (yield from super().lsp_exit(*args))
        # TCP: pygls' SystemExit would escape its event loop as a traceback; stop the server instead.
        if (user_handler := self.fm.features.get(types.EXIT)) is not None:
            yield user_handler, args, None
        if self.writer is not None:
            self.writer.close()
        self._server.shutdown()


# pygls finds builtin handlers by this attribute, which the overrides above must keep.
MellumProtocol.lsp_initialize.method_name = types.INITIALIZE  # type: ignore[attr-defined]
MellumProtocol.lsp_exit.method_name = types.EXIT  # type: ignore[attr-defined]


class LspNotifier:
    """The session's :class:`~mellum_lsp.session.Notifier` for an LSP client; safe from any thread."""

    def __init__(self, server: MellumLanguageServer) -> None:
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None

    def call(self, fn: Any, *args: Any) -> None:
        """Run ``fn`` on the event loop: now if we are on it, else as soon as the loop gets to it."""
        if self.loop is None or self.loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            fn(*args)
        else:
            self.loop.call_soon_threadsafe(fn, *args)

    def partial_result(self, token: types.ProgressToken, value: dict[str, Any]) -> None:
        self.call(self.server.protocol.notify, types.PROGRESS, types.ProgressParams(token=token, value=value))

    def show_message(self, kind: types.MessageType, message: str) -> None:
        self.call(self.server.window_show_message, types.ShowMessageParams(type=kind, message=message))

    def log_message(self, params: types.LogMessageParams) -> None:
        self.call(self.server.window_log_message, params)

    def begin_progress(self, title: str) -> LspProgress:
        return LspProgress(self, title)


class LspProgress:
    """A server-initiated ``$/progress`` (``window/workDoneProgress/create`` first), if the client supports it."""

    def __init__(self, notifier: LspNotifier, title: str) -> None:
        self._notifier = notifier
        self._token = f"mellum-{uuid.uuid4()}"
        caps = notifier.server.client_capabilities.window
        self._enabled = bool(caps and caps.work_done_progress)
        if self._enabled:
            notifier.call(self._create_and_begin, title)

    def _create_and_begin(self, title: str) -> None:
        progress = self._notifier.server.work_done_progress
        progress.create(self._token)
        progress.begin(self._token, types.WorkDoneProgressBegin(title=title, percentage=0))

    def report(self, message: str, percentage: int | None = None) -> None:
        if self._enabled:
            value = types.WorkDoneProgressReport(message=message, percentage=percentage)
            self._notifier.call(self._notifier.server.work_done_progress.report, self._token, value)

    def end(self, message: str) -> None:
        if self._enabled:
            value = types.WorkDoneProgressEnd(message=message)
            self._notifier.call(self._notifier.server.work_done_progress.end, self._token, value)


class MellumLanguageServer(LanguageServer):
    """pygls server holding the configuration, and after ``initialize`` the session and its features."""

    def __init__(self, config: Configuration) -> None:
        super().__init__("mellum-lsp", __version__, protocol_cls=MellumProtocol)
        self.config = config
        self.notifier = LspNotifier(self)
        self._client_log = logs.ClientLogHandler(self.notifier.log_message)
        self._session: Session | None = None
        self.inline: InlineCompletionFeature | None = None
        self.chat: ChatFeature | None = None
        self.code_actions: CodeActionFeature | None = None
        self.next_edit: NextEditFeature | None = None
        self.context: ContextFeature | None = None
        self.features: list[Any] = []

    @property
    def exit_code(self) -> int | None:
        """The status ``exit`` asked for (0 after ``shutdown``, 1 without); None if it never came."""
        protocol = self.protocol
        return protocol.exit_code if isinstance(protocol, MellumProtocol) else None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the server has not been initialized")
        return self._session

    def setup(self, params: types.InitializeParams) -> None:
        """Apply the workspace files and initializationOptions, then build the session and features."""
        self.notifier.loop = asyncio.get_event_loop()
        logs.attach_client(self._client_log)
        session = Session(self.config, self.notifier, self.workspace)
        self._session = session
        errors = load_files(self.config, session.roots)
        if isinstance(params.initialization_options, dict):
            errors += self.config.set_layer(
                Layer.INITIALIZATION_OPTIONS, params.initialization_options, "initializationOptions"
            )
        self.report_config_errors(errors)
        logs.set_level(self.config.settings.log_level)
        self.inline = InlineCompletionFeature(session)
        self.chat = ChatFeature(session)
        self.code_actions = CodeActionFeature(session, self.chat)
        self.next_edit = NextEditFeature(session)
        self.context = ContextFeature(session)
        self.features = [IndexSyncFeature(session), self.inline, self.chat, self.code_actions, self.next_edit]
        log.info("initialized with roots %s", [str(r) for r in session.roots])

    def report_config_errors(self, errors: list[Any]) -> None:
        for error in errors:
            log.warning("configuration: %s", error)
            self.notifier.show_message(types.MessageType.Warning, f"mellum-lsp configuration: {error}")

    def fan_out(self, hook: str, *args: Any) -> None:
        """Call ``hook`` on every feature that has it; a failing feature is logged and skipped."""
        for feature in self.features:
            method = getattr(feature, hook, None)
            if method is None:
                continue
            try:
                method(*args)
            except Exception:
                log.exception("%s.%s failed; the server carries on", type(feature).__name__, hook)

    def apply_client_settings(self, settings: Any) -> None:
        before = self.config.settings
        errors = self.config.update_layer(
            Layer.CLIENT_SETTINGS, settings if isinstance(settings, dict) else {}, "workspace settings"
        )
        self.report_config_errors(errors)
        after = self.config.settings
        logs.set_level(after.log_level)
        if after.model != before.model:
            self.session.load_model()
        self.fan_out("settings_changed", after)

    def shutdown(self) -> None:
        if self._session is not None:
            self._session.close()
        logs.detach_client(self._client_log)
        super().shutdown()


def create_server(config: Configuration) -> MellumLanguageServer:
    """Build the server and register every handler once."""
    server = MellumLanguageServer(config)

    @server.feature(types.INITIALIZE)
    def initialize(ls: MellumLanguageServer, params: types.InitializeParams) -> None:
        ls.setup(params)

    @server.feature(types.INITIALIZED)
    def initialized(ls: MellumLanguageServer, params: types.InitializedParams) -> None:
        ls.session.start()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: MellumLanguageServer, params: None) -> None:
        ls.session.close()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MellumLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.session.documents.opened(params.text_document.uri, params.text_document.text)
        ls.fan_out("document_opened", params.text_document.uri, params.text_document.text)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MellumLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        document = ls.workspace.get_text_document(params.text_document.uri)
        change = ls.session.documents.changed(document.uri, document.source)
        ls.fan_out("document_changed", change)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MellumLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.fan_out("document_saved", params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MellumLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.session.documents.closed(params.text_document.uri)
        ls.fan_out("document_closed", params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: MellumLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.fan_out("files_changed", params.changes)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_workspace_folders(
        ls: MellumLanguageServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        ls.report_config_errors(load_files(ls.config, ls.session.roots))
        ls.session.start_index()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: MellumLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        settings = params.settings
        workspace_caps = ls.client_capabilities.workspace
        if settings is None and workspace_caps is not None and workspace_caps.configuration:
            answer = await ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="mellum")])
            )
            settings = answer[0] if answer else None
        ls.apply_client_settings(settings)

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: MellumLanguageServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        assert ls.inline is not None
        return await ls.inline.inline_completion(params)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, InlineCompletionFeature.COMPLETION_OPTIONS)
    async def completion(
        ls: MellumLanguageServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        assert ls.inline is not None
        return await ls.inline.completion(params)

    @server.feature(DID_SHOW)
    def did_show(ls: MellumLanguageServer, params: Any) -> None:
        ls.session.stats.record("shown", str(plain(params)["id"]))

    @server.feature(DID_ACCEPT)
    def did_accept(ls: MellumLanguageServer, params: Any) -> None:
        ls.session.stats.record("accepted", str(plain(params)["id"]))

    @server.feature(DID_REJECT)
    def did_reject(ls: MellumLanguageServer, params: Any) -> None:
        ls.session.stats.record("rejected", str(plain(params)["id"]))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.RefactorRewrite, types.CodeActionKind.QuickFix],
            resolve_provider=True,
        ),
    )
    def code_action(ls: MellumLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        assert ls.code_actions is not None
        return ls.code_actions.actions(params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: MellumLanguageServer, action: types.CodeAction) -> types.CodeAction:
        assert ls.code_actions is not None
        action.data = plain(action.data)
        return await answer(ls.code_actions.resolve(action))

    @server.feature(CHAT)
    async def chat(ls: MellumLanguageServer, params: Any) -> dict[str, Any]:
        assert ls.chat is not None
        return await answer(ls.chat.request(plain(params)))

    @server.feature(NEXT_EDIT)
    async def next_edit(ls: MellumLanguageServer, params: Any) -> dict[str, Any]:
        assert ls.next_edit is not None
        return await answer(ls.next_edit.request(plain(params)))

    @server.feature(CONTEXT)
    async def context(ls: MellumLanguageServer, params: Any) -> dict[str, Any]:
        assert ls.context is not None
        return await answer(ls.context.request(plain(params)))

    @server.feature(STATUS)
    def status(ls: MellumLanguageServer, params: Any) -> dict[str, Any]:
        assert ls.inline is not None
        return {**ls.session.status(), "completion": ls.inline.figures.snapshot()}

    @server.command(ACCEPT_COMMAND)
    def accept_command(ls: MellumLanguageServer, item_id: str, details: Any) -> None:
        """Run by clients when an inline completion item is accepted (its ``command``)."""
        ls.session.stats.record("accepted", item_id)

    @server.command("mellum.chat")
    async def chat_command(ls: MellumLanguageServer, args: Any) -> dict[str, Any]:
        assert ls.chat is not None
        return await answer(ls.chat.request(plain(args)))

    @server.command("mellum.explainDiagnostic")
    async def explain_command(ls: MellumLanguageServer, args: Any) -> dict[str, Any]:
        assert ls.code_actions is not None
        return await answer(ls.code_actions.explain(plain(args)))

    @server.command("mellum.fixDiagnostic")
    async def fix_command(ls: MellumLanguageServer, args: Any) -> types.WorkspaceEdit:
        assert ls.code_actions is not None
        edit = await answer(ls.code_actions.fix_command(plain(args)))
        await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label="Fix with Mellum")
        )
        return edit

    @server.command("mellum.rewrite")
    async def rewrite_command(ls: MellumLanguageServer, args: Any) -> types.WorkspaceEdit:
        assert ls.code_actions is not None
        edit = await answer(ls.code_actions.rewrite_command(plain(args)))
        await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label="Rewrite with Mellum")
        )
        return edit

    @server.command("mellum.nextEdit")
    async def next_edit_command(ls: MellumLanguageServer, args: Any) -> dict[str, Any]:
        assert ls.next_edit is not None
        return await answer(ls.next_edit.request(plain(args)))

    return server
