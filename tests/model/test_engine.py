"""The engine against transformers' reference, and its own invariants: speculative output equals plain
greedy, prefix reuse and rollback equal cold runs, cancellation stops mid-way, streaming and stops."""

from __future__ import annotations

import pytest
import torch

from model.check import check
from model.config import ModelConfig
from model.engine import Engine, GenerationParams
from model.kv_cache import RingCache
from model.random_checkpoint import tiny_config, write_random_checkpoint
from model.weights import load_model

PROMPT = (
    "import os\n\n\ndef walk(root):\n    for dirpath, dirnames, filenames in os.walk(root):\n"
    "        for name in filenames:\n            yield os.path.join(dirpath, name)\n\n\n"
    "def count(root):\n    total = 0\n    for path in walk(root):\n        total += 1\n    return total\n"
)


@pytest.fixture(scope="module")
def dense_layer_checkpoint(tmp_path_factory, default_tokenizer):
    """In bf16 on disk, as released checkpoints are."""
    cfg = tiny_config(default_tokenizer.vocab_size, mlp_layer_types=["sparse", "dense", "sparse", "sparse"])
    return write_random_checkpoint(tmp_path_factory.mktemp("dense"), cfg, std=0.3, seed=1, dtype=torch.bfloat16)


@pytest.fixture(scope="module")
def no_mtp_checkpoint(tmp_path_factory, default_tokenizer):
    cfg = tiny_config(default_tokenizer.vocab_size, num_nextn_predict_layers=0)
    return write_random_checkpoint(tmp_path_factory.mktemp("nomtp"), cfg, std=0.3, seed=2)


def test_check_passes_against_transformers(dense_layer_checkpoint):
    """Logits at every position within 1e-4 of transformers, 64 greedy tokens equal, speculative greedy
    equals plain greedy, and reuse after rollback equals a cold run, on a prompt longer than the window."""
    report = check(dense_layer_checkpoint)
    assert report["prompt_tokens"] > report["sliding_window"]
    assert report["max_abs_logit_diff"] <= 1e-4
    assert report["greedy_match"] and report["mtp_greedy_match"] and report["lookup_greedy_match"]
    assert report["prefix_reuse_cached_tokens"] > 0 and report["prefix_reuse_match"]
    assert report["ok"]


def test_mtp_layer_matches_transformers_mtp_model(tiny_checkpoint, default_tokenizer):
    from transformers import MellumForCausalLM
    from transformers.cache_utils import MtpCache
    from transformers.modeling_layers import MtpModel

    ours = load_model(tiny_checkpoint)
    hf = MellumForCausalLM.from_pretrained(str(tiny_checkpoint), dtype=torch.float32).eval()
    mtp = MtpModel.from_pretrained(hf).eval()
    ids = torch.tensor([default_tokenizer.encode(PROMPT)])
    n = ids.shape[1]
    nxt = torch.cat([ids[:, 1:], torch.tensor([[7]])], dim=1)
    with torch.inference_mode():
        hidden = hf(ids, output_hidden_states=True).hidden_states[-1]
        _, ref_logits, _ = mtp(
            input_ids=nxt,
            last_hidden_states=hidden,
            attention_mask=None,
            position_ids=torch.arange(1, n + 1)[None],
            mtp_cache=MtpCache(config=hf.config.get_mtp_config()),
        )
        mine = ours.mtp_forward(nxt, ours(ids, torch.arange(n)).hidden, torch.arange(1, n + 1)).logits
    assert (ref_logits[:, -1] - mine[:, -1]).abs().max() <= 1e-4


def test_lookup_drafting_without_mtp_weights(no_mtp_checkpoint):
    engine = Engine.load(str(no_mtp_checkpoint))
    assert not engine.has_mtp
    plain = engine.generate(PROMPT, GenerationParams(max_new_tokens=48, draft="none"))
    spec = Engine.load(str(no_mtp_checkpoint)).generate(PROMPT * 2, GenerationParams(max_new_tokens=48))
    assert spec.draft_source == "lookup"
    again = Engine.load(str(no_mtp_checkpoint)).generate(
        PROMPT * 2, GenerationParams(max_new_tokens=48, draft="none")
    )
    assert spec.token_ids == again.token_ids
    assert plain.new_tokens > 0
    with pytest.raises(ValueError, match="no MTP weights"):
        engine.generate(PROMPT, GenerationParams(draft="mtp"))


def test_prefix_reuse_computes_only_the_new_tail(tiny_checkpoint):
    engine = Engine.load(str(tiny_checkpoint))
    first = engine.generate(PROMPT, GenerationParams(max_new_tokens=8))
    second = engine.generate(PROMPT + "    x", GenerationParams(max_new_tokens=8))
    cold = Engine.load(str(tiny_checkpoint)).generate(PROMPT + "    x", GenerationParams(max_new_tokens=8))
    assert first.cached_tokens == 0
    assert second.cached_tokens >= second.prompt_tokens - 4
    assert second.token_ids == cold.token_ids


def test_rollback_beyond_the_ring_reserve_falls_back_to_a_cold_prefill(tiny_checkpoint, default_tokenizer):
    engine = Engine.load(str(tiny_checkpoint), ring_reserve=4)
    ids = default_tokenizer.encode(PROMPT * 3)
    engine.next_logits(ids)
    shorter = ids[: len(ids) - 40]
    assert engine.slots[0].reusable_prefix(shorter, needs_mtp=True) == 0
    warm = engine.next_logits(shorter)
    cold = Engine.load(str(tiny_checkpoint), ring_reserve=4).next_logits(shorter)
    assert torch.allclose(warm, cold, atol=1e-5)


def test_sliding_layers_keep_a_fixed_size_ring(tiny_checkpoint):
    engine = Engine.load(str(tiny_checkpoint), ring_reserve=8)
    cfg: ModelConfig = engine.config
    rings = [c for c in engine.slots[0].caches if isinstance(c, RingCache)]
    assert rings and all(r.size == cfg.sliding_window + engine.ring_reserve for r in rings)
    before = engine.kv_cache_bytes()
    engine.generate(PROMPT * 4, GenerationParams(max_new_tokens=4))
    assert engine.kv_cache_bytes() == before


def test_cancellation_stops_within_one_step(tiny_checkpoint):
    engine = Engine.load(str(tiny_checkpoint))
    steps = []

    def should_stop() -> bool:
        steps.append(1)
        return len(steps) > 5

    result = engine.generate(
        PROMPT, GenerationParams(max_new_tokens=64, draft="none"), should_stop=should_stop
    )
    assert result.finish_reason == "cancelled"
    assert result.decode_steps <= 5
    assert 0 < result.new_tokens < 64


def test_streaming_stop_strings_and_limits(tiny_checkpoint):
    engine = Engine.load(str(tiny_checkpoint))
    full = engine.generate(PROMPT, GenerationParams(max_new_tokens=40, draft="none"))
    assert full.finish_reason in ("length", "stop") and full.new_tokens <= 40
    stop = full.text[10:13]
    assert stop
    chunks: list[str] = []
    cut = engine.generate(PROMPT, GenerationParams(max_new_tokens=40, stop=(stop,)), on_text=chunks.append)
    assert cut.finish_reason == "stop"
    assert cut.text == full.text[: full.text.find(stop)]
    assert "".join(chunks) == cut.text  # nothing of the stop string was streamed


def test_sampling_is_reproducible_with_a_seed_and_follows_top_k(tiny_checkpoint):
    engine = Engine.load(str(tiny_checkpoint))
    params = GenerationParams(max_new_tokens=16, temperature=0.8, top_k=5, top_p=0.9, seed=7)
    a = engine.generate(PROMPT, params)
    b = Engine.load(str(tiny_checkpoint)).generate(PROMPT, params)
    assert a.token_ids == b.token_ids


def test_a_cancelled_prefill_leaves_its_finished_chunks_for_the_next_request(
    tiny_checkpoint, default_tokenizer
):
    """Typing faster than a prefill: each request is cancelled after a chunk, and the next one goes on
    from there (the MTP ring never holds position 0; that must not count as a lost window)."""
    engine = Engine.load(str(tiny_checkpoint), prefill_chunk=16)
    prompt = PROMPT * 3
    cached = []
    for i in range(4):
        result = engine.generate(
            prompt + "x" * i, GenerationParams(max_new_tokens=4), should_stop=lambda: True
        )
        assert result.finish_reason == "cancelled"
        cached.append(result.cached_tokens)
    assert cached[0] == 0 and cached[1] >= 15 and cached[2] > cached[1] and cached[3] > cached[2]


def test_compiled_steps_decode_as_the_eager_model_does(dense_layer_checkpoint, no_mtp_checkpoint):
    """torch.compile'd decode steps (the whole trunk and the MTP layer, all call lengths) against eager,
    for plain, MTP and prompt-lookup decoding, on a bf16 config with a dense layer (compiled, its matrices
    stay bf16 and the math fp32) and an fp32 one without MTP weights."""
    for checkpoint, drafts in ((dense_layer_checkpoint, ("none", "mtp")), (no_mtp_checkpoint, ("lookup",))):
        eager = Engine.load(str(checkpoint), slots=1)
        compiled = Engine.load(str(checkpoint), slots=1, compile="on")
        assert compiled.model._steps is not None
        assert eager.model.lm_head.weight.dtype == torch.float32
        stored = torch.bfloat16 if checkpoint == dense_layer_checkpoint else torch.float32
        assert compiled.model.lm_head.weight.dtype == compiled.model.model.layers[0].mlp.gate.weight.dtype == stored
        assert compiled.model.compute_dtype == torch.float32
        for draft in drafts:
            params = GenerationParams(max_new_tokens=40, draft=draft)  # type: ignore[arg-type]
            for prompt in (PROMPT * 2, PROMPT * 2 + "    return"):  # then a keystroke's few new tokens
                want = eager.generate(prompt, params)
                got = compiled.generate(prompt, params)
                assert got.token_ids == want.token_ids and got.decode_steps == want.decode_steps, draft
            assert got.cached_tokens > 0
        with torch.inference_mode():
            ids = torch.tensor([compiled.tokenizer.encode(PROMPT)[:5]])
            pos = torch.arange(5)
            assert torch.allclose(compiled.model(ids, pos).logits, eager.model(ids, pos).logits, atol=1e-5)


def test_a_failing_compiler_leaves_decoding_eager(tiny_checkpoint, monkeypatch, caplog):
    """No C++ compiler (or any inductor failure) must not cost the user the model."""

    def broken(fn, **kwargs):
        def run(*args, **kwargs):
            raise RuntimeError("no C++ compiler found")

        return run

    monkeypatch.setattr(torch, "compile", broken)
    engine = Engine.load(str(tiny_checkpoint), slots=1, compile="on")
    assert engine.model._steps is None and "decoding runs eagerly" in caplog.text
    want = Engine.load(str(tiny_checkpoint), slots=1).generate(PROMPT, GenerationParams(max_new_tokens=12))
    assert engine.generate(PROMPT, GenerationParams(max_new_tokens=12)).token_ids == want.token_ids


def test_the_thread_count_is_applied_at_load(tiny_checkpoint):
    before = torch.get_num_threads()
    try:
        Engine.load(str(tiny_checkpoint), slots=1, threads=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
