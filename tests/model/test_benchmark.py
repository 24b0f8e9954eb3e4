"""`bench model` end to end on a tiny checkpoint: the figures come out and speculative output is identical."""

from __future__ import annotations

from model.benchmark import speculative_vs_plain, ttft_after_keystroke


def test_speculative_and_keystroke_figures(tiny_checkpoint):
    spec = speculative_vs_plain(tiny_checkpoint, repeats=1)
    for name in ("mtp", "mtp_1_drafts", "mtp_3_drafts", "lookup_edit"):
        assert spec[name]["identical_output"], name
        assert spec[name]["speedup"] > 0 and spec[name]["tokens_per_step"] >= 1, name
    assert set(spec["drafting_step_cost_in_plain_steps"]) == {"mtp", "lookup"}
    ttft = ttft_after_keystroke(tiny_checkpoint, prompt_tokens=300, repeats=1)
    assert ttft["cached_tokens"] >= ttft["prompt_tokens"] - 4
