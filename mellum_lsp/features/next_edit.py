"""``mellum/nextEdit``: the edit the developer is likely to make next, near the cursor.

The idea behind Copilot's next edit suggestions and Zed's edit prediction: the session's recent
edits say what the developer is doing (renaming, adding a parameter everywhere, ...), so the model
is shown them and asked to rewrite the lines around the cursor accordingly. Most of the region
comes back unchanged, so decoding drafts from the original region (prompt lookup) and the reply is
reduced to the smallest TextEdit.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from mellum_lsp.config import Settings
from mellum_lsp.documents import DocumentChange, changed_region, client_range, replacement_edit, uri_to_path
from mellum_lsp.features.code_reply import generate_code
from mellum_lsp.features.replies import parse_position
from mellum_lsp.scheduler import JobContext, Priority
from mellum_lsp.session import LONG_SLOT, Session
from model.prompts import fenced, language_id

LINES_AROUND = 6  # lines above and below the cursor the model may rewrite
SYSTEM = (
    "You predict the developer's next edit. Given their recent edits and the code around the "
    "cursor, reply with that code rewritten as they will most likely change it next, in one "
    "fenced block. If no change is likely, reply with the code unchanged."
)


class NextEditFeature:
    """Keeps the session's recent edits and predicts the next one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.recent: deque[DocumentChange] = deque(maxlen=session.settings.edit.recent_edits)

    def settings_changed(self, settings: Settings) -> None:
        self.recent = deque(self.recent, maxlen=settings.edit.recent_edits)

    def document_changed(self, change: DocumentChange) -> None:
        """Remember the edit; a keystroke that extends the previous edit merges with it."""
        last = self.recent[-1] if self.recent else None
        if (
            last is not None
            and last.uri == change.uri
            and last.region.start <= change.region.start <= last.region.new_end
        ):
            self.recent[-1] = DocumentChange(
                change.uri,
                change.path,
                last.old_text,
                change.new_text,
                changed_region(last.old_text, change.new_text),
            )
        else:
            self.recent.append(change)

    def describe_recent(self) -> str:
        hunks = []
        for change in self.recent:
            line = change.new_text.count("\n", 0, change.region.start) + 1
            hunks.append(f"{change.path}:{line}\n-{change.removed!r}\n+{change.inserted!r}")
        return "\n\n".join(hunks) if hunks else "(no edits yet)"

    async def request(self, params: dict[str, Any]) -> dict[str, Any]:
        """``{textDocument:{uri}, position}`` -> ``{edits: TextEdit[], range?, text?}``."""
        document = self.session.workspace.get_text_document(params["textDocument"]["uri"])
        text = document.source
        cursor = document.offset_at_position(parse_position(params.get("position")))
        line = text.count("\n", 0, cursor)
        lines = text.split("\n")
        first, last = max(0, line - LINES_AROUND), min(len(lines) - 1, line + LINES_AROUND)
        start = sum(len(row) + 1 for row in lines[:first])
        end = start + len("\n".join(lines[first : last + 1]))
        region = text[start:end]
        path = str(uri_to_path(document.uri))
        recent = self.describe_recent()

        def run(ctx: JobContext) -> str:
            user = (
                f"Recent edits (file:line, removed, inserted):\n{recent}\n\n"
                f"Code around the cursor in {path}:\n{fenced(region, language_id(path))}"
            )
            return generate_code(
                self.session,
                ctx,
                messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
                original=region,
                path=path,
            )

        job = self.session.submit(
            run,
            name="next edit",
            priority=Priority.EDIT,
            slot=LONG_SLOT,
            key=("nextEdit", document.uri),
            supersede=True,
        )
        predicted = await job.wait()
        edit = replacement_edit(document, start, end, predicted)
        if edit is None:
            return {"edits": []}
        return {"edits": [edit], "range": client_range(document, start, end), "text": predicted}
