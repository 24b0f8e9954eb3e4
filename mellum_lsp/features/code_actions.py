"""Code actions: "Rewrite with Mellum" on a selection, "Explain/Fix with Mellum" per diagnostic.

Listing actions is instant: they carry their inputs in ``data`` and the model runs only in
``codeAction/resolve``, when the user picks one (rewrite and fix become a WorkspaceEdit). The
rewrite's instruction is ``data.instruction``, which a client may fill in before resolving.
"Explain" is a command action: the explanation streams like chat. Commands
``mellum.rewrite``/``mellum.fixDiagnostic``/``mellum.explainDiagnostic`` do the same for clients
that only run commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument

from mellum_lsp.documents import replacement_edit, uri_to_path
from mellum_lsp.features.chat import ChatFeature
from mellum_lsp.features.code_reply import generate_code
from mellum_lsp.features.replies import offsets, parse_range, whole_lines
from mellum_lsp.scheduler import Job, JobContext, Priority
from mellum_lsp.session import LONG_SLOT, Session
from model.prompts import fenced, language_id, rewrite_request

DEFAULT_INSTRUCTION = "Improve this code: make it clearer and fix any bugs, keeping its behaviour."
REWRITE_TITLE = "Rewrite with Mellum"


class CodeActionFeature:
    """Lists the actions and resolves them through the model."""

    def __init__(self, session: Session, chat: ChatFeature) -> None:
        self.session = session
        self.chat = chat

    def actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        found: list[types.CodeAction] = []
        only = params.context.only
        wants = (lambda kind: any(kind.startswith(k) for k in only)) if only else (lambda kind: True)
        if params.range.start != params.range.end and wants(types.CodeActionKind.RefactorRewrite):
            found.append(
                types.CodeAction(
                    title=REWRITE_TITLE,
                    kind=types.CodeActionKind.RefactorRewrite,
                    data={
                        "action": "rewrite",
                        "uri": uri,
                        "range": _plain(params.range),
                        "instruction": None,
                    },
                )
            )
        for diagnostic in params.context.diagnostics:
            plain = _plain(diagnostic)
            if wants(types.CodeActionKind.QuickFix):
                found.append(
                    types.CodeAction(
                        title=f"Fix with Mellum: {_short(diagnostic.message)}",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        data={"action": "fix", "uri": uri, "diagnostic": plain},
                    )
                )
            found.append(
                types.CodeAction(
                    title=f"Explain with Mellum: {_short(diagnostic.message)}",
                    kind=types.CodeActionKind.Empty,
                    diagnostics=[diagnostic],
                    command=types.Command(
                        title="Explain with Mellum",
                        command="mellum.explainDiagnostic",
                        arguments=[{"uri": uri, "diagnostic": plain}],
                    ),
                )
            )
        return found

    async def resolve(self, action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        if data.get("action") == "rewrite":
            action.edit = await self.rewrite_edit(
                data["uri"], parse_range(data["range"]), data.get("instruction")
            )
        elif data.get("action") == "fix":
            action.edit = await self.fix_edit(data["uri"], data["diagnostic"])
        return action

    # --- rewrite and fix ---------------------------------------------------------------------

    def start_rewrite(self, path: Path, text: str, start: int, end: int, instruction: str) -> Job[str]:
        """Queue a rewrite of ``text[start:end]`` (widened to whole lines); the job returns the new lines."""
        line_start, line_end = whole_lines(text, start, end)
        region = text[line_start:line_end]

        def run(ctx: JobContext) -> str:
            # About 3 characters a token: the edit budget covers the code shown around the region.
            messages = rewrite_request(
                path=str(path),
                text=text,
                start=line_start,
                end=line_end,
                context_chars=3 * self.session.settings.edit.budget_tokens,
                instruction=instruction,
            )
            return generate_code(self.session, ctx, messages=messages, original=region, path=str(path))

        return self.session.submit(run, name="rewrite", priority=Priority.EDIT, slot=LONG_SLOT)

    async def rewrite_edit(
        self, uri: str, range_: types.Range, instruction: str | None
    ) -> types.WorkspaceEdit:
        document = self.session.workspace.get_text_document(uri)
        start, end = offsets(document, range_)
        return await self._edit(document, start, end, instruction or DEFAULT_INSTRUCTION)

    async def fix_edit(self, uri: str, diagnostic: dict[str, Any]) -> types.WorkspaceEdit:
        document = self.session.workspace.get_text_document(uri)
        start, end = offsets(document, parse_range(diagnostic.get("range")))
        return await self._edit(document, start, end, f"Fix this problem: {_describe(diagnostic)}")

    async def _edit(
        self, document: TextDocument, start: int, end: int, instruction: str
    ) -> types.WorkspaceEdit:
        text = document.source
        line_start, line_end = whole_lines(text, start, end)
        new_region = await self.start_rewrite(uri_to_path(document.uri), text, start, end, instruction).wait()
        edit = replacement_edit(document, line_start, line_end, new_region)
        return types.WorkspaceEdit(changes={document.uri: [edit] if edit else []})

    async def rewrite_command(self, args: dict[str, Any]) -> types.WorkspaceEdit:
        """``mellum.rewrite {uri, range, instruction?}``."""
        return await self.rewrite_edit(args["uri"], parse_range(args.get("range")), args.get("instruction"))

    async def fix_command(self, args: dict[str, Any]) -> types.WorkspaceEdit:
        """``mellum.fixDiagnostic {uri, diagnostic}``."""
        return await self.fix_edit(args["uri"], args["diagnostic"])

    # --- explain -----------------------------------------------------------------------------

    async def explain(self, args: dict[str, Any]) -> dict[str, Any]:
        """``mellum.explainDiagnostic {uri, diagnostic, partialResultToken?}``: streams Markdown like chat."""
        document = self.session.workspace.get_text_document(args["uri"])
        diagnostic = args["diagnostic"]
        start, end = offsets(document, parse_range(diagnostic.get("range")))
        text = document.source
        line_start, line_end = whole_lines(text, start, end)
        around_start = text.rfind("\n", 0, max(0, line_start - 400)) + 1
        around_end = text.find("\n", min(len(text), line_end + 400))
        around = text[around_start : len(text) if around_end < 0 else around_end]
        path = str(uri_to_path(document.uri))
        question = (
            f"Explain this diagnostic and how to fix it.\n\n{_describe(diagnostic)}\n\n"
            f"The flagged code in {path}:\n{fenced(text[line_start:line_end], language_id(path))}\n\n"
            f"Around it:\n{fenced(around, language_id(path))}"
        )
        return await self.chat.answer(
            [{"role": "user", "content": question}],
            open_file=(Path(path), text),
            selection=text[line_start:line_end],
            token=args.get("partialResultToken"),
            name="explain",
        )


def _plain(value: Any) -> Any:
    from lsprotocol.converters import get_converter

    return get_converter().unstructure(value)


def _short(message: str, limit: int = 60) -> str:
    line = message.strip().splitlines()[0] if message.strip() else "diagnostic"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _describe(diagnostic: dict[str, Any]) -> str:
    severity = {1: "error", 2: "warning", 3: "information", 4: "hint"}.get(
        diagnostic.get("severity") or 1, "error"
    )
    source = f"{diagnostic['source']} " if diagnostic.get("source") else ""
    code = f" [{diagnostic['code']}]" if diagnostic.get("code") is not None else ""
    return f"{source}{severity}{code}: {diagnostic.get('message', '')}"
