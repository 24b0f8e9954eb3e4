"""config.json is read with the real keys, and a config the runtime cannot run names its key."""

from __future__ import annotations

import pytest

from model.config import ConfigError, ModelConfig
from model.random_checkpoint import tiny_config

REAL_12B = {
    "model_type": "mellum", "vocab_size": 98304, "hidden_size": 2304, "num_hidden_layers": 28,
    "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128, "max_position_embeddings": 131072,
    "moe_intermediate_size": 896, "num_local_experts": 64, "num_experts_per_tok": 8, "sliding_window": 1024,
    "rms_norm_eps": 1e-6, "tie_word_embeddings": False,
    "layer_types": ["full_attention" if i % 4 == 3 else "sliding_attention" for i in range(28)],
    "rope_parameters": {
        "full_attention": {"rope_type": "yarn", "rope_theta": 500000.0, "factor": 16.0,
                           "original_max_position_embeddings": 8192, "beta_fast": 32, "beta_slow": 1},
        "sliding_attention": {"rope_type": "default", "rope_theta": 500000.0},
    },
}  # fmt: skip


def test_real_config_resolves_per_layer_rope_and_types():
    cfg = ModelConfig.from_dict(REAL_12B)
    assert cfg.layer_types.count("full_attention") == 7
    assert cfg.rope["full_attention"].rope_type == "yarn"
    assert cfg.rope["full_attention"].attention_factor == pytest.approx(1.2773, abs=1e-4)
    assert cfg.rope["sliding_attention"].theta == 500000.0
    assert cfg.num_mtp_layers == 0 and cfg.kv_groups == 8


def test_mtp_key_and_its_alias():
    assert ModelConfig.from_dict({**REAL_12B, "num_nextn_predict_layers": 1}).num_mtp_layers == 1
    cfg = ModelConfig.from_dict({**REAL_12B, "num_mtp_layers": 1})
    assert cfg.num_mtp_layers == 1 and cfg.mtp_layer_types == ("sliding_attention",)


def test_round_trip_through_to_dict():
    cfg = ModelConfig.from_dict(tiny_config(512, mlp_layer_types=["sparse", "dense", "sparse", "sparse"]))
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"num_nextn_predict_layers": 2}, "num_nextn_predict_layers"),
        ({"layer_types": ["full_attention"] * 3}, "layer_types"),
        ({"mlp_layer_types": ["sparse", "moe", "sparse", "sparse"]}, "mlp_layer_types"),
        ({"rope_parameters": {"full_attention": {"rope_type": "longrope", "rope_theta": 1.0}}}, "rope_parameters.full_attention.rope_type"),
        ({"rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 1.0}}}, "rope_parameters.sliding_attention"),
        ({"hidden_act": "gelu"}, "hidden_act"),
        ({"attention_bias": True}, "attention_bias"),
        ({"num_experts_per_tok": 9}, "num_experts_per_tok"),
        ({"sliding_window": None}, "sliding_window"),
        ({"mlp_layer_types": ["dense"] * 4, "intermediate_size": 0}, "intermediate_size"),
    ],
)
def test_unrunnable_config_names_the_key(change, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        ModelConfig.from_dict({**tiny_config(512), **change})


def test_info_on_the_real_12b_config_alone():
    """From config.json only (meta device): ~12.15B total and ~2.5B active parameters."""
    from model.benchmark import REAL_CONFIG
    from model.inspect import describe

    report = describe(REAL_CONFIG)
    assert abs(report["total_params"] - 12.15e9) < 0.01e9
    assert abs(report["active_params"] - 2.5e9) < 0.1e9
    assert report["weights_present"] is False and report["mtp_weights_present"] is False
    assert report["rope"]["full_attention"]["rope_type"] == "yarn"
    assert report["kv_cache_bytes_bf16"]["128K"] < 2 * 2**30  # sliding layers hold only their window
