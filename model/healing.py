"""Token healing for fill-in-the-middle prompts.

A cursor usually sits inside a word (`self.max_li|`), so the prefix ends in a fragment that the tokenizer
splits unlike the whole word (`li` where the word is `lines`), and the model must continue from a split it
rarely saw in training: it guesses a lone character. Healing takes the prefix's last token out of the
prompt and makes the answer start with that token's text instead, so the model chooses among the natural
tokens that begin with it (`lines`); the text it repeats is left out of the answer.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import torch

from .tokenizer import Tokenizer

FIM_MIDDLE = "<fim_middle>"


class Healer:
    """Splits a prompt ending in `<fim_middle>` and restricts the first answer token to match."""

    def __init__(self, tokenizer: Tokenizer):
        self._texts = [tokenizer.token_bytes(i) for i in range(tokenizer.vocab_size)]
        self._by_first: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(self._texts):
            if text:
                self._by_first[text[0]].append(i)
        self._marker = tokenizer.special[FIM_MIDDLE]
        self._special = set(tokenizer.special.values())
        self.allowed = lru_cache(maxsize=256)(self._allowed)

    def split(self, ids: list[int]) -> tuple[list[int], str]:
        """(the prompt without the prefix's last token, that token's text); (ids, "") when there is
        nothing to heal: no `<fim_middle>` at the end, a special token, a partial character, or a line
        break (re-choosing an indentation made the default model's answers worse on held-out code)."""
        if len(ids) < 2 or ids[-1] != self._marker or ids[-2] in self._special:
            return ids, ""
        tail = self._texts[ids[-2]]
        if not tail or "\n" in tail or "\ufffd" in tail:
            return ids, ""
        return ids[:-2] + ids[-1:], tail

    def restrict(self, logits: torch.Tensor, left: str) -> torch.Tensor:
        """logits [V] with only the tokens that start with `left`, the healed text still to be spelled.
        A fragment is never spelled piecemeal: the model would pick single letters, which it rarely saw."""
        keep = self.allowed(left).to(logits.device)
        out = torch.full_like(logits, float("-inf"))
        out[keep] = logits[keep]
        return out

    def _allowed(self, left: str) -> torch.Tensor:
        return torch.tensor([i for i in self._by_first[left[0]] if self._texts[i].startswith(left)])
