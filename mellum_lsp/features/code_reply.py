"""One generation that answers with code replacing a region: rewrites, fixes and next-edit predictions.

The prompt opens the reply's fenced block itself, so the model starts writing code at once and the
closing fence stops it. The answer mostly repeats the original region, so decoding drafts from it
(prompt lookup, where drafting pays on this machine); the length allowance grows with the region.
"""

from __future__ import annotations

from mellum_lsp.features.chat import CHAT_STOP
from mellum_lsp.features.replies import extract_code
from mellum_lsp.scheduler import JobContext
from mellum_lsp.session import LONG_SLOT, Session


def generate_code(
    session: Session, ctx: JobContext, *, messages: list[dict[str, str]], original: str, path: str
) -> str:
    """Run inside a job: the code the model writes for ``original``, read out of its fenced reply."""
    from model.prompts import chat_prompt, code_reply_opening

    prompt = chat_prompt(messages)
    settings = session.settings.edit
    result = session.generate(
        ctx,
        prompt + code_reply_opening(path),
        slot=LONG_SLOT,
        max_new_tokens=max(settings.max_new_tokens, 2 * session.engine().tokenizer.count(original)),
        stop=("\n```", *CHAT_STOP),
        lookup_text=original,  # draft="auto" drafts from it
    )
    return extract_code(result.text)
