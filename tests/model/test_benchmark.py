"""`bench model` end to end on a tiny checkpoint: the figures come out and speculative output is identical."""

from __future__ import annotations

import pytest

from model.benchmark import DeviceRefused, real_config_on_device, speculative_vs_plain, ttft_after_keystroke
from model.config import ModelConfig
from model.random_checkpoint import tiny_config


def test_speculative_and_keystroke_figures(tiny_checkpoint):
    spec = speculative_vs_plain(tiny_checkpoint, repeats=1)
    for name in ("mtp", "mtp_1_drafts", "mtp_3_drafts", "lookup_edit"):
        assert spec[name]["identical_output"], name
        assert spec[name]["speedup"] > 0 and spec[name]["tokens_per_step"] >= 1, name
    assert set(spec["drafting_step_cost_in_plain_steps"]) == {"mtp", "lookup"}
    ttft = ttft_after_keystroke(tiny_checkpoint, prompt_tokens=300, repeats=1)
    assert ttft["cached_tokens"] >= ttft["prompt_tokens"] - 4


def test_the_real_config_benchmark_runs_the_engine_steps_and_sets_them_against_the_bandwidth_ceiling():
    """What a lent GPU runs (`bench model --real-config-on cuda`), here on the CPU with a tiny config."""
    cfg = ModelConfig.from_dict(tiny_config(512, max_position_embeddings=256))
    report = real_config_on_device("cpu", cfg=cfg, prompt_tokens=100, new_tokens=6, repeats=1,
                                   peak_bandwidth=50e9, copy_bytes=2**22)
    assert report["dtype"] == "float32" and 0 < report["active_params"] < report["total_params"]
    assert report["prefill_tok_s"] > 0 and report["copy_bandwidth_GB_s"] > 0
    bytes_per_token = report["active_params"] * 4
    assert report["ceiling_tok_s_peak"] == round(50e9 / bytes_per_token, 1)
    for variant in ("eager", "compiled"):
        decode = report[variant]
        assert decode["decode_tok_s"] > 0, variant
        assert decode["of_ceiling_peak"] == round(decode["decode_tok_s"] * bytes_per_token / 50e9, 3)


def test_the_real_config_benchmark_refuses_weights_that_do_not_fit_before_allocating_them():
    huge = ModelConfig.from_dict(tiny_config(2**31))  # ~1 TB of embeddings and head
    with pytest.raises(DeviceRefused, match="GiB"):
        real_config_on_device("cpu", cfg=huge)
