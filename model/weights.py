"""Checkpoint files in the released on-disk layout: read, check and write them.

The layout is sharded safetensors with `model.safetensors.index.json` (or one `model.safetensors`), one
tensor per expert (`model.layers.N.mlp.experts.E.{gate,up,down}_proj.weight`) and optional `mtp.` tensors.
Loading builds the model on the meta device, allocates it once, then copies tensor by tensor from
memory-mapped files, so peak memory is the model plus one tensor. Every name and shape is checked
before the first copy, so a bad checkpoint fails at load time with the tensor it is about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .config import ModelConfig
from .modeling import Mellum

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
EXPERT_KEY = re.compile(r"^(?P<prefix>.+\.mlp\.experts)\.(?P<e>\d+)\.(?P<proj>gate_proj|up_proj|down_proj)\.weight$")


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be loaded; the message names the file or tensor and what to do."""


def shard_map(directory: Path) -> dict[str, Path]:
    """Tensor name -> file holding it."""
    index = directory / INDEX_FILE
    if index.exists():
        try:
            weight_map = json.loads(index.read_text())["weight_map"]
        except (json.JSONDecodeError, KeyError) as e:
            raise CheckpointError(f"{index} is not a valid safetensors index ({e}); re-download the checkpoint") from None
        return {name: directory / file for name, file in weight_map.items()}
    single = directory / SINGLE_FILE
    if not single.exists():
        raise CheckpointError(f"{directory} has neither {INDEX_FILE} nor {SINGLE_FILE}")
    with _open(single) as f:
        return {name: single for name in f.keys()}


def _open(path: Path):
    try:
        return safe_open(str(path), framework="pt", device="cpu")
    except FileNotFoundError:
        raise CheckpointError(f"{path} is listed in the checkpoint but missing; re-download it") from None
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path} is truncated or corrupt ({e}); re-download or re-convert it") from None


def expected_shapes(model: Mellum) -> dict[str, tuple[int, ...]]:
    """On-disk tensor name -> shape, for this config (experts unfused)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for name, p in model.named_parameters():
        if name.endswith(".experts.w13"):
            e, two_i, h = p.shape
            for i in range(e):
                shapes[f"{name[:-4]}.{i}.gate_proj.weight"] = (two_i // 2, h)
                shapes[f"{name[:-4]}.{i}.up_proj.weight"] = (two_i // 2, h)
        elif name.endswith(".experts.w2"):
            e, h, inter = p.shape
            for i in range(e):
                shapes[f"{name[:-3]}.{i}.down_proj.weight"] = (h, inter)
        else:
            shapes[name] = tuple(p.shape)
    if model.cfg.tie_word_embeddings:
        shapes.pop("lm_head.weight", None)
    return shapes


def _target(model_params: Mapping[str, torch.Tensor], name: str) -> torch.Tensor:
    """The slice of a model parameter that the on-disk tensor `name` fills."""
    m = EXPERT_KEY.match(name)
    if not m:
        return model_params[name]
    e, proj = int(m["e"]), m["proj"]
    if proj == "down_proj":
        return model_params[m["prefix"] + ".w2"][e]
    w13 = model_params[m["prefix"] + ".w13"][e]
    half = w13.shape[0] // 2
    return w13[:half] if proj == "gate_proj" else w13[half:]


def load_model(
    directory: str | Path, *, device: str = "cpu", dtype: torch.dtype = torch.float32, narrow_weights: bool = False
) -> Mellum:
    """Build the model for `directory`'s config and fill it from its safetensors files.

    `dtype` is the compute dtype. With `narrow_weights`, matrices stay in the dtype they are stored in when
    that is narrower (a bf16 checkpoint computed in fp32): exact, and half the bytes to read per token."""
    directory = Path(directory)
    cfg = ModelConfig.from_file(directory)
    with torch.device("meta"):
        model = Mellum(cfg)
    files = shard_map(directory)
    shapes = expected_shapes(model)
    missing = sorted(set(shapes) - set(files))
    # A checkpoint may carry MTP tensors that the config does not declare; anything else is unexpected.
    unexpected = sorted(n for n in set(files) - set(shapes) if not n.startswith("mtp.") or cfg.num_mtp_layers)
    if missing:
        raise CheckpointError(f"missing tensor {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    if unexpected:
        raise CheckpointError(
            f"unexpected tensor {unexpected[0]}" + (f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else "")
            + "; the checkpoint does not match its config.json"
        )
    handles = {path: _open(path) for path in set(files.values())}
    for name, shape in shapes.items():
        got = tuple(handles[files[name]].get_slice(name).get_shape())
        if got != shape:
            raise CheckpointError(f"tensor {name} has shape {list(got)}, expected {list(shape)} from config.json")

    stored = _stored_dtype(handles[files["model.embed_tokens.weight"]], "model.embed_tokens.weight")
    model.materialize(device, dtype, stored if narrow_weights and stored.itemsize < dtype.itemsize else None)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name in shapes:
            try:
                tensor = handles[files[name]].get_tensor(name)
            except (SafetensorError, OSError, ValueError) as e:
                raise CheckpointError(f"cannot read {name} from {files[name]} ({e}); the file is corrupt") from None
            if not torch.isfinite(tensor.float()).all():
                raise CheckpointError(f"tensor {name} in {files[name]} holds NaN or infinite values; the file is corrupt")
            _target(params, name).copy_(tensor)
    model.eval()
    return model


def _stored_dtype(handle, name: str) -> torch.dtype:
    names = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
    return names.get(handle.get_slice(name).get_dtype(), torch.float32)


def on_disk_tensors(model: Mellum, dtype: torch.dtype | None = None) -> Iterator[tuple[str, torch.Tensor]]:
    """The model's tensors under their released names, experts unfused."""
    params = dict(model.named_parameters())
    for name in expected_shapes(model):
        t = _target(params, name).detach()
        yield name, (t.to(dtype) if dtype else t).contiguous().cpu()


def save_model(model: Mellum, directory: str | Path, *, dtype: torch.dtype = torch.bfloat16, shard_bytes: int = 2**30) -> None:
    """Write config.json and sharded safetensors with an index, as the released checkpoints are laid out."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.cfg.save(directory)
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for name, t in on_disk_tensors(model, dtype):
        nbytes = t.numel() * t.element_size()
        if shards[-1] and size + nbytes > shard_bytes:
            shards.append({})
            size = 0
        shards[-1][name] = t
        size += nbytes
    weight_map = {}
    total = 0
    for i, shard in enumerate(shards):
        file = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(shard, str(directory / file), metadata={"format": "pt"})
        for name, t in shard.items():
            weight_map[name] = file
            total += t.numel() * t.element_size()
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (directory / INDEX_FILE).write_text(json.dumps(index, indent=2) + "\n")
