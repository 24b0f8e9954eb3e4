"""Prompt formats: fill-in-the-middle with repository context, and chat.

FIM (Mellum's order): `<reponame>{repo}`, then `<filename>{path}\n{code}` per context file, then the
current file's `<filename>{path}\n` and its suffix and prefix around `<fim_middle>`. SPM puts the suffix
first, so the prefix (what changes as one types) ends the prompt and a keystroke invalidates only the
tail of the KV cache; PSM is the classic order. Both were trained; the mode is a per-model setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

FimMode = Literal["spm", "psm"]


def fim_prompt(
    *,
    repo: str,
    files: Sequence[tuple[str, str]],
    path: str,
    prefix: str,
    suffix: str,
    mode: FimMode = "spm",
) -> str:
    context = f"<reponame>{repo}" + "".join(f"<filename>{p}\n{code}" for p, code in files)
    if mode == "spm":
        return f"{context}<filename>{path}\n<fim_suffix>{suffix}<fim_prefix>{prefix}<fim_middle>"
    return f"{context}<filename>{path}\n<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>"


REWRITE_SYSTEM = (
    "You rewrite code as instructed. Reply with only the rewritten code in one fenced block, "
    "keeping the original indentation."
)


def language_id(path: str) -> str:
    """A fence language tag from the file extension (cosmetic; helps the model)."""
    return path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""


def fenced(code: str, language: str = "") -> str:
    fence = "````" if "```" in code else "```"
    return f"{fence}{language}\n{code}\n{fence}"


def rewrite_request(*, path: str, text: str, start: int, end: int, context_chars: int,
                    instruction: str) -> list[dict[str, str]]:
    """The chat messages of a rewrite of text[start:end] (whole lines of the file at `path`), shown with
    `context_chars` of the code around it, 2/3 of them before. The server's rewrites and fixes and the
    training's rewrite examples both use this, so the model is taught the server's words."""
    lang = language_id(path)
    before = text[max(0, start - context_chars * 2 // 3) : start]
    after = text[end : end + context_chars // 3]
    user = (
        f"File {path}. Code before the region:\n{fenced(before, lang)}\n"
        f"Code after the region:\n{fenced(after, lang)}\n"
        f"The region:\n{fenced(text[start:end], lang)}\n\nInstruction: {instruction}"
    )
    return [{"role": "system", "content": REWRITE_SYSTEM}, {"role": "user", "content": user}]


def code_reply_opening(path: str) -> str:
    """What the assistant's reply starts with when it must answer with code: an opened fence."""
    return "```" + language_id(path) + "\n"


def chat_prompt(messages: Sequence[dict[str, str]], *, template: str | None = None) -> str:
    """The checkpoint's own chat template when it has one (Jinja, as in tokenizer_config.json), ChatML otherwise."""
    if template:
        from jinja2 import Environment  # transformers depends on jinja2

        env = Environment(trim_blocks=True, lstrip_blocks=True)
        return env.from_string(template).render(messages=list(messages), add_generation_prompt=True)
    body = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return body + "<|im_start|>assistant\n"
