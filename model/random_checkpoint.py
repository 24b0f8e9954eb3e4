"""Random checkpoints in the released on-disk layout, for tests and benchmarks on configs without weights."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch

from .config import ModelConfig
from .modeling import Mellum, init_weights
from .weights import save_model

DEFAULT_DIR = Path(__file__).parent / "default"


def tiny_config(vocab_size: int, **overrides: Any) -> dict[str, Any]:
    """A 4-layer Mellum small enough for a unit test: YaRN on the full layer, a window of 16, MTP."""
    d: dict[str, Any] = {
        "model_type": "mellum",
        "vocab_size": vocab_size,
        "hidden_size": 64,
        "intermediate_size": 96,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "max_position_embeddings": 4096,
        "sliding_window": 16,
        "layer_types": ["sliding_attention"] * 3 + ["full_attention"],
        "mlp_layer_types": ["sparse"] * 4,
        "rope_parameters": {
            "full_attention": {"rope_type": "yarn", "rope_theta": 500000.0, "factor": 4.0,
                               "original_max_position_embeddings": 1024, "beta_fast": 32.0, "beta_slow": 1.0},
            "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
        },
        "num_local_experts": 8,
        "num_experts_per_tok": 2,
        "moe_intermediate_size": 32,
        "num_nextn_predict_layers": 1,
        "eos_token_id": 0,
    }
    d.update(overrides)
    return d


def write_random_checkpoint(
    directory: str | Path,
    config: dict[str, Any],
    *,
    seed: int = 0,
    std: float = 0.1,
    dtype: torch.dtype = torch.float32,
    tokenizer_dir: Path = DEFAULT_DIR,
    shard_bytes: int = 2**30,
) -> Path:
    """Write config, random weights (sharded safetensors, one tensor per expert) and a tokenizer."""
    directory = Path(directory)
    torch.manual_seed(seed)
    model = Mellum(ModelConfig.from_dict(config))
    init_weights(model, std)
    save_model(model, directory, dtype=dtype, shard_bytes=shard_bytes)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tokenizer_dir / name, directory / name)
    return directory


def random_model(cfg: ModelConfig, *, device: str, dtype: torch.dtype, seed: int = 0) -> Mellum:
    """A model with random weights made in place on `device`, in `dtype`: never whole in fp32 nor on the
    CPU, so the released 12B config (24 GB in bf16) needs only its own size on an accelerator."""
    with torch.device("meta"):
        model = Mellum(cfg)
    model.materialize(device, dtype)
    torch.manual_seed(seed)
    init_weights(model)
    return model.eval()
