"""What a checkpoint is: architecture, parameter counts, layer and RoPE types, MTP, special tokens.

Works from config.json alone (the model is built on the meta device), so it describes a 12B checkpoint
without loading, or even having, its weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .config import ModelConfig
from .modeling import Mellum
from .tokenizer import Tokenizer, TokenizerError
from .weights import CheckpointError, shard_map


def describe(directory: Path) -> dict[str, Any]:
    cfg = ModelConfig.from_file(directory)
    with torch.device("meta"):
        model = Mellum(cfg)
    total, active = model.param_counts()
    try:
        names = set(shard_map(directory)) if directory.is_dir() else set()
        weights = bool(names)
    except CheckpointError:
        names, weights = set(), False
    try:
        special = Tokenizer.from_dir(directory).special if directory.is_dir() else {}
    except TokenizerError:
        special = {}
    return {
        "path": str(directory),
        "architecture": "MellumForCausalLM",
        "hidden_size": cfg.hidden_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_position_embeddings,
        "experts": cfg.num_experts,
        "experts_per_token": cfg.num_experts_per_tok,
        "expert_ffn": cfg.moe_intermediate_size,
        "total_params": total,
        "active_params": active,
        "layer_types": list(cfg.layer_types),
        "mlp_layer_types": list(cfg.mlp_layer_types),
        "sliding_window": cfg.sliding_window,
        "rope": {lt: r.to_dict() for lt, r in cfg.rope.items()},
        "mtp_layers": cfg.num_mtp_layers,
        "mtp_weights_present": any(n.startswith("mtp.") for n in names),
        "weights_present": weights,
        "kv_cache_bytes_bf16": {f"{n // 1024}K": kv_cache_bytes(cfg, n) for n in (8192, 32768, 131072)},
        "special_tokens": special,
    }


def kv_cache_bytes(cfg: ModelConfig, context: int, ring_reserve: int = 512, bytes_per_value: int = 2) -> int:
    """KV-cache size of one sequence: full layers hold the context, sliding layers their ring."""
    per_position = 2 * cfg.num_key_value_heads * cfg.head_dim * bytes_per_value
    total = 0
    for t in cfg.layer_types:
        held = context if t == "full_attention" else min(context, (cfg.sliding_window or 0) + ring_reserve)
        total += held * per_position
    return total
