"""The tokenizer of a checkpoint (`tokenizer.json`) with Mellum 2's special tokens."""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer as HFTokenizer

# Mellum 2's added tokens, by id. The default model's tokenizer is built with exactly these, so the same
# prompt builders serve it and the released checkpoints.
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<assistant>", "</assistant>",
    "<commit_before>", "<commit_msg>", "<commit_after>",
    "<empty_output>",
    "<filename>",
    "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>",
    "<gh_stars>",
    "<issue_start>", "<issue_comment>", "<issue_closed>",
    "<jupyter_start>", "<jupyter_text>", "<jupyter_code>", "<jupyter_output>",
    "<reponame>",
    "<system>", "</system>",
    "<think>", "</think>",
    "<user>", "</user>",
    "<|im_start|>", "<|im_end|>",
    "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>",
)  # fmt: skip

EOS = "<|endoftext|>"


class TokenizerError(RuntimeError):
    """A tokenizer.json that is missing or lacks the tokens the prompt formats need."""


class Tokenizer:
    """Encode and decode text; special-token strings in the text map to their ids."""

    def __init__(self, inner: HFTokenizer):
        self.inner = inner
        self.special = {t: i for t in SPECIAL_TOKENS if (i := inner.token_to_id(t)) is not None}
        for needed in ("<fim_prefix>", "<fim_middle>", "<fim_suffix>", EOS):
            if needed not in self.special:
                raise TokenizerError(f"tokenizer has no {needed} token; it is not a Mellum tokenizer")
        self.eos_id = self.special[EOS]
        self.vocab_size = inner.get_vocab_size()

    @classmethod
    def from_dir(cls, path: str | Path) -> Tokenizer:
        file = Path(path) / "tokenizer.json"
        if not file.exists():
            raise TokenizerError(f"{file} not found: a checkpoint directory needs its tokenizer.json")
        try:
            return cls(HFTokenizer.from_file(str(file)))
        except Exception as e:  # the tokenizers library raises a bare Exception on bad JSON
            raise TokenizerError(f"{file} cannot be read ({e})") from None

    def encode(self, text: str) -> list[int]:
        return self.inner.encode(text, add_special_tokens=False).ids

    def decode(self, ids: list[int]) -> str:
        return self.inner.decode(ids, skip_special_tokens=False)

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def token_bytes(self, token_id: int) -> str:
        """The text of one token alone (for streaming, use a `StreamDecoder`)."""
        return self.inner.decode([token_id], skip_special_tokens=False)


class StreamDecoder:
    """Turns a growing list of ids into text deltas without splitting a multi-byte character."""

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.text = ""

    def push(self, ids: list[int]) -> str:
        self.ids.extend(ids)
        text = self.tokenizer.decode(self.ids)
        if text.endswith("\ufffd"):  # an incomplete UTF-8 sequence: wait for the next token
            return ""
        delta, self.text = text[len(self.text) :], text
        return delta
