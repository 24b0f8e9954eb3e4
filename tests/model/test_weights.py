"""Checkpoints in the released layout load; bad ones fail at load time with the tensor or file named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from model.weights import INDEX_FILE, CheckpointError, load_model


@pytest.fixture()
def copy(tiny_checkpoint, tmp_path) -> Path:
    target = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, target)
    return target


def _index(directory: Path) -> dict:
    return json.loads((directory / INDEX_FILE).read_text())


def test_released_layout_is_sharded_with_unfused_experts_and_mtp(tiny_checkpoint):
    weight_map = _index(tiny_checkpoint)["weight_map"]
    assert len(set(weight_map.values())) > 1
    assert "model.layers.0.mlp.experts.7.down_proj.weight" in weight_map
    assert "model.layers.0.mlp.gate.weight" in weight_map
    assert any(k.startswith("mtp.layers.4.") for k in weight_map)
    assert "mtp.layers.4.eh_proj.weight" in weight_map


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_loads_in_each_dtype(tiny_checkpoint, dtype):
    model = load_model(tiny_checkpoint, dtype=dtype)
    assert model.lm_head.weight.dtype == dtype and model.mtp_layer is not None


def _rewrite_shard(directory: Path, name: str, edit) -> None:
    file = directory / _index(directory)["weight_map"][name]
    tensors = load_file(str(file))
    edit(tensors)
    save_file(tensors, str(file), metadata={"format": "pt"})


def test_missing_tensor_is_named(copy):
    name = "model.layers.1.self_attn.k_norm.weight"
    _rewrite_shard(copy, name, lambda t: t.pop(name))
    index = _index(copy)
    del index["weight_map"][name]
    (copy / INDEX_FILE).write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="missing tensor model.layers.1.self_attn.k_norm.weight"):
        load_model(copy)


def test_misshaped_tensor_is_named(copy):
    name = "model.layers.2.mlp.experts.3.up_proj.weight"
    _rewrite_shard(copy, name, lambda t: t.__setitem__(name, torch.zeros(5, 5)))
    with pytest.raises(CheckpointError, match=r"model\.layers\.2\.mlp\.experts\.3\.up_proj\.weight has shape \[5, 5\]"):
        load_model(copy)


def test_unexpected_tensor_is_named(copy):
    name = "model.norm.weight"
    _rewrite_shard(copy, name, lambda t: t.__setitem__("model.extra.weight", torch.zeros(2)))
    index = _index(copy)
    index["weight_map"]["model.extra.weight"] = index["weight_map"][name]
    (copy / INDEX_FILE).write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="unexpected tensor model.extra.weight"):
        load_model(copy)


def test_truncated_shard_fails_at_load_time(copy):
    shard = sorted(copy.glob("model-*.safetensors"))[0]
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_model(copy)


def test_garbage_shard_fails_at_load_time(copy):
    shard = sorted(copy.glob("model-*.safetensors"))[0]
    shard.write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match="corrupt"):
        load_model(copy)


def test_nan_weights_are_reported(copy):
    name = "model.layers.0.self_attn.q_proj.weight"
    _rewrite_shard(copy, name, lambda t: t[name].fill_(float("nan")))
    with pytest.raises(CheckpointError, match="NaN"):
        load_model(copy)


def test_missing_shard_file_is_named(copy):
    shard = sorted(copy.glob("model-*.safetensors"))[-1]
    shard.unlink()
    with pytest.raises(CheckpointError, match=shard.name):
        load_model(copy)


def test_tied_embeddings_load_as_one_tensor_and_match_transformers(tmp_path, default_tokenizer):
    """A tied checkpoint stores no lm_head: the head must be the embedding, in bf16 matrices too."""
    from model.check import check
    from model.random_checkpoint import tiny_config, write_random_checkpoint

    directory = write_random_checkpoint(
        tmp_path, tiny_config(default_tokenizer.vocab_size, tie_word_embeddings=True), dtype=torch.bfloat16
    )
    assert "lm_head.weight" not in _index(directory)["weight_map"]
    for narrow in (False, True):
        model = load_model(directory, narrow_weights=narrow)
        assert model.lm_head.weight is model.model.embed_tokens.weight
    assert check(directory)["ok"]
