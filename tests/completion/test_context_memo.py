"""The context memo: a document's context pieces stay put while one types nearby, so the prompt's
head (and the KV cache behind it) survives every keystroke."""

from __future__ import annotations

import textwrap
from pathlib import Path

from indexing.packer import Piece
from indexing.workspace import WorkspaceIndex
from mellum_lsp.completion import generation
from mellum_lsp.completion.context_memo import ContextMemo
from mellum_lsp.completion.request import CompletionRequest
from mellum_lsp.config import CompletionSettings


def _piece(path: str) -> Piece:
    return Piece(path=path, start_line=1, end_line=1, reason="test", score=1.0, tokens=3, text="x = 1")


def test_pieces_are_reused_near_where_they_were_chosen_only() -> None:
    memo = ContextMemo(radius=4)
    memo.put("file:///a.py", 10, [_piece("b.py")])
    assert memo.get("file:///a.py", 14) == (_piece("b.py"),)
    assert memo.get("file:///a.py", 15) is None
    assert memo.get("file:///other.py", 10) is None
    memo.forget("file:///a.py")
    assert memo.get("file:///a.py", 10) is None


def test_typing_lines_back_keeps_the_head_of_the_prompt(tmp_path: Path, default_tokenizer) -> None:
    # A real module long enough to fill the budget; retrieval around the cursor changes as its
    # identifiers are typed, and without the memo the head of the prompt would change with it.
    root = tmp_path / "repo"
    root.mkdir()
    path = root / "wrap.py"
    original = Path(textwrap.__file__).read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    index = WorkspaceIndex([root], cache_dir=tmp_path / "cache")
    index.build()
    at = original.index("        if self.max_lines is not None:")
    typed = original[at : original.index("\n", original.index("\n", at) + 1) + 1]
    text = original[:at] + original[at + len(typed) :]
    settings = CompletionSettings(budget_tokens=2048)
    memo = ContextMemo()
    heads = set()
    for n in range(len(typed) + 1):
        buffer = text[:at] + typed[:n] + text[at:]
        index.update_document(path, buffer, "python")
        request = CompletionRequest(
            uri=path.as_uri(), path=path, text=buffer, offset=at + n, language_id="python"
        )
        prompt = generation.build_prompt(index, default_tokenizer, request, settings, memo=memo)
        heads.add(prompt[: prompt.index("<fim_prefix>")])
    assert len(heads) == 1, [h[-300:] for h in heads]
