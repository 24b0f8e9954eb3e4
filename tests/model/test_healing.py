"""Token healing: the prefix's last token leaves the prompt and the answer must start with its text."""

from __future__ import annotations

import torch

from model.engine import Engine, GenerationParams
from model.healing import Healer
from model.prompts import fim_prompt


def test_split_takes_out_the_fragment_before_fim_middle_only(default_tokenizer) -> None:
    healer = Healer(default_tokenizer)
    ids = default_tokenizer.encode(fim_prompt(repo="r", files=(), path="a.py", prefix="x = self.max_li", suffix="\n"))
    healed, tail = healer.split(ids)
    assert tail and "self.max_li".endswith(tail)
    assert healed == ids[:-2] + ids[-1:]
    for prefix in ("x = 1\n    ", ""):  # a line break, or a special token, before <fim_middle>: nothing to heal
        ids = default_tokenizer.encode(fim_prompt(repo="r", files=(), path="a.py", prefix=prefix, suffix=""))
        assert healer.split(ids) == (ids, "")
    assert healer.split(default_tokenizer.encode("x = self.max_li")) == (default_tokenizer.encode("x = self.max_li"), "")


def test_restrict_keeps_exactly_the_tokens_that_start_with_the_fragment(default_tokenizer) -> None:
    healer = Healer(default_tokenizer)
    logits = torch.zeros(default_tokenizer.vocab_size)
    kept = torch.isfinite(healer.restrict(logits, "li")).nonzero().flatten().tolist()
    assert kept and all(default_tokenizer.token_bytes(i).startswith("li") for i in kept)


def test_a_healed_answer_starts_where_the_cursor_is(tiny_checkpoint) -> None:
    engine = Engine.load(str(tiny_checkpoint), slots=1)
    prompt = fim_prompt(repo="r", files=(), path="a.py", prefix="def walk(root):\n    return os.pa", suffix="\n")
    ids = engine.tokenizer.encode(prompt)
    healed, tail = engine.healer.split(ids)
    result = engine.generate(ids, GenerationParams(max_new_tokens=6, heal=True, draft="none"))
    assert result.prompt_tokens == len(healed)
    first = engine.tokenizer.token_bytes(result.token_ids[0])
    assert first.startswith(tail)
    assert tail + result.text == engine.tokenizer.decode(result.token_ids)[: len(tail) + len(result.text)]

