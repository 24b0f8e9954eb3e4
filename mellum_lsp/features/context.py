"""``mellum/context``: the completion prompt the server would send at a cursor, and where each piece came from.

For looking into why a completion came out as it did; ``mellum-lsp context`` prints the same.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from mellum_lsp.documents import uri_to_path
from mellum_lsp.features.replies import parse_position
from mellum_lsp.session import NotReady, Session


class ContextFeature:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def request(self, params: dict[str, Any]) -> dict[str, Any]:
        """``{textDocument, position, budget?}`` -> ``{prompt, promptTokens, pieces:[{path,start_line,end_line,reason,tokens}]}``."""
        document = self.session.workspace.get_text_document(params["textDocument"]["uri"])
        offset = document.offset_at_position(parse_position(params.get("position")))
        budget = int(params.get("budget") or self.session.settings.completion.budget_tokens)
        return await asyncio.to_thread(
            self.assemble, uri_to_path(document.uri), document.source, offset, budget
        )

    def assemble(self, path: Any, text: str, offset: int, budget: int) -> dict[str, Any]:
        from indexing.context import assemble_completion_context
        from model.prompts import fim_prompt

        session = self.session
        if session.index is None:
            raise NotReady("the workspace index is not ready yet")
        assembled = assemble_completion_context(
            session.index,
            path,
            text,
            offset,
            budget=budget,
            tokenizer=session.engine().tokenizer,
            formatter=partial(fim_prompt, mode=session.settings.completion.fim_mode),
        )
        return {
            "prompt": assembled.prompt,
            "promptTokens": assembled.prompt_tokens,
            "pieces": [p.summary() for p in assembled.pieces],
        }
