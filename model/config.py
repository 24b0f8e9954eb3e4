"""A Mellum checkpoint's `config.json`, read with the real keys and checked before any tensor is touched.

Everything the runtime needs is resolved here once (per-layer attention and MLP types, RoPE per layer
type, MTP presence), so the model code never looks at raw JSON and a config it cannot run is refused
with the key that makes it so.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ATTENTION_TYPES = ("full_attention", "sliding_attention")
MLP_TYPES = ("sparse", "dense")
ROPE_TYPES = ("default", "yarn")


class ConfigError(ValueError):
    """A config.json this runtime cannot run; the message names the key."""


@dataclass(frozen=True)
class RopeConfig:
    """RoPE for one layer type: plain, or YaRN with its ramp and attention factor."""

    rope_type: str
    theta: float
    factor: float = 1.0
    original_max_position_embeddings: int | None = None
    beta_fast: float = 32.0
    beta_slow: float = 1.0
    attention_factor: float = 1.0
    partial_rotary_factor: float = 1.0
    truncate: bool = True

    @classmethod
    def from_dict(cls, layer_type: str, d: dict[str, Any], max_positions: int) -> RopeConfig:
        key = f"rope_parameters.{layer_type}"
        rope_type = d.get("rope_type", d.get("type", "default"))
        if rope_type not in ROPE_TYPES:
            raise ConfigError(f"{key}.rope_type is {rope_type!r}; supported: {', '.join(ROPE_TYPES)}")
        if "rope_theta" not in d:
            raise ConfigError(f"{key}.rope_theta is missing")
        theta = float(d["rope_theta"])
        partial = float(d.get("partial_rotary_factor", 1.0))
        if rope_type == "default":
            return cls("default", theta, partial_rotary_factor=partial)
        if "original_max_position_embeddings" not in d:
            raise ConfigError(f"{key}.original_max_position_embeddings is required for yarn")
        original = int(d["original_max_position_embeddings"])
        factor = d.get("factor")
        factor = float(factor) if factor is not None else max_positions / original
        attention_factor = d.get("attention_factor")
        if attention_factor is None:
            mscale, mscale_all_dim = d.get("mscale"), d.get("mscale_all_dim")

            def get_mscale(scale: float, m: float = 1.0) -> float:
                return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

            if mscale and mscale_all_dim:
                attention_factor = get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
            else:
                attention_factor = get_mscale(factor)
        return cls(
            "yarn",
            theta,
            factor=factor,
            original_max_position_embeddings=original,
            beta_fast=float(d.get("beta_fast") or 32.0),
            beta_slow=float(d.get("beta_slow") or 1.0),
            attention_factor=float(attention_factor),
            partial_rotary_factor=partial,
            truncate=bool(d.get("truncate", True)),
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"rope_type": self.rope_type, "rope_theta": self.theta}
        if self.partial_rotary_factor != 1.0:
            d["partial_rotary_factor"] = self.partial_rotary_factor
        if self.rope_type == "yarn":
            d.update(
                factor=self.factor,
                original_max_position_embeddings=self.original_max_position_embeddings,
                beta_fast=self.beta_fast,
                beta_slow=self.beta_slow,
                attention_factor=self.attention_factor,
            )
        return d


@dataclass(frozen=True)
class ModelConfig:
    """The resolved architecture of a Mellum checkpoint."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    layer_types: tuple[str, ...]
    mlp_layer_types: tuple[str, ...]
    rope: dict[str, RopeConfig]
    sliding_window: int | None
    num_experts: int
    num_experts_per_tok: int
    moe_intermediate_size: int
    intermediate_size: int
    norm_topk_prob: bool = True
    rms_norm_eps: float = 1e-6
    max_position_embeddings: int = 131072
    tie_word_embeddings: bool = False
    num_mtp_layers: int = 0
    mtp_layer_types: tuple[str, ...] = ()
    mtp_mlp_layer_types: tuple[str, ...] = ()
    router_aux_loss_coef: float = 0.001
    bos_token_id: int | None = None
    eos_token_id: int | list[int] | None = None
    pad_token_id: int | None = None
    initializer_range: float = 0.02
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def kv_groups(self) -> int:
        return self.num_attention_heads // self.num_key_value_heads

    def layer_type(self, i: int) -> str:
        """Attention type of trunk layer i, or of the MTP layer for i >= num_hidden_layers."""
        if i < self.num_hidden_layers:
            return self.layer_types[i]
        return self.mtp_layer_types[i - self.num_hidden_layers]

    def mlp_type(self, i: int) -> str:
        if i < self.num_hidden_layers:
            return self.mlp_layer_types[i]
        return self.mtp_mlp_layer_types[i - self.num_hidden_layers]

    # -- reading and writing ---------------------------------------------------------------------

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        if d.get("model_type", "mellum") != "mellum":
            raise ConfigError(f"model_type is {d.get('model_type')!r}; this runtime runs 'mellum'")
        if d.get("hidden_act", "silu") != "silu":
            raise ConfigError(f"hidden_act is {d.get('hidden_act')!r}; only 'silu' is supported")
        if d.get("attention_bias", False):
            raise ConfigError("attention_bias is true; Mellum has no attention bias and neither does this runtime")

        def req(key: str, *aliases: str) -> Any:
            for k in (key, *aliases):
                if k in d and d[k] is not None:
                    return d[k]
            raise ConfigError(f"{key} is missing")

        n_layers = int(req("num_hidden_layers"))
        hidden = int(req("hidden_size"))
        n_heads = int(req("num_attention_heads"))
        n_kv = int(d.get("num_key_value_heads") or n_heads)
        if n_heads % n_kv:
            raise ConfigError(f"num_attention_heads ({n_heads}) must be a multiple of num_key_value_heads ({n_kv})")
        head_dim = int(d.get("head_dim") or hidden // n_heads)
        max_pos = int(d.get("max_position_embeddings", 131072))

        layer_types = tuple(d.get("layer_types") or ["full_attention"] * n_layers)
        mlp_types = tuple(d.get("mlp_layer_types") or ["sparse"] * n_layers)
        for key, values, allowed in (("layer_types", layer_types, ATTENTION_TYPES), ("mlp_layer_types", mlp_types, MLP_TYPES)):
            if len(values) != n_layers:
                raise ConfigError(f"{key} has {len(values)} entries; num_hidden_layers is {n_layers}")
            bad = sorted(set(values) - set(allowed))
            if bad:
                raise ConfigError(f"{key} contains {bad}; allowed: {', '.join(allowed)}")

        n_mtp = int(d.get("num_nextn_predict_layers") or d.get("num_mtp_layers") or 0)
        if n_mtp > 1:
            raise ConfigError(f"num_nextn_predict_layers is {n_mtp}; Mellum has at most one MTP layer")
        mtp_types = tuple(d.get("mtp_layer_types") or ["sliding_attention"] * n_mtp)[:n_mtp]
        mtp_mlp = tuple(d.get("mtp_mlp_layer_types") or ["sparse"] * n_mtp)[:n_mtp]

        sliding = d.get("sliding_window")
        if "sliding_attention" in layer_types + mtp_types and not sliding:
            raise ConfigError("sliding_window is missing but layer_types has sliding_attention layers")

        raw_rope = d.get("rope_parameters") or {}
        legacy_theta = d.get("rope_theta")
        rope: dict[str, RopeConfig] = {}
        for lt in sorted(set(layer_types + mtp_types)):
            if lt in raw_rope:
                rope[lt] = RopeConfig.from_dict(lt, raw_rope[lt], max_pos)
            elif "rope_type" in raw_rope or legacy_theta is not None:
                # A flat (not keyed by layer type) rope config applies to every layer.
                flat = dict(raw_rope) or {"rope_type": "default", "rope_theta": legacy_theta}
                rope[lt] = RopeConfig.from_dict(lt, flat, max_pos)
            else:
                raise ConfigError(f"rope_parameters.{lt} is missing (read the checkpoint's config; never assume a theta)")

        n_experts = int(d.get("num_local_experts") or d.get("num_experts") or 0)
        if "sparse" in mlp_types + mtp_mlp:
            if n_experts <= 0:
                raise ConfigError("num_local_experts is missing but mlp_layer_types has sparse layers")
            top_k = int(req("num_experts_per_tok"))
            if not 0 < top_k <= n_experts:
                raise ConfigError(f"num_experts_per_tok is {top_k}; must be between 1 and num_local_experts ({n_experts})")
            moe_inter = int(req("moe_intermediate_size"))
        else:
            top_k = int(d.get("num_experts_per_tok") or 0)
            moe_inter = int(d.get("moe_intermediate_size") or 0)
        inter = int(d.get("intermediate_size") or 0)
        if "dense" in mlp_types + mtp_mlp and inter <= 0:
            raise ConfigError("intermediate_size is missing but mlp_layer_types has dense layers")

        known = {f for f in cls.__dataclass_fields__}
        return cls(
            vocab_size=int(req("vocab_size")),
            hidden_size=hidden,
            num_hidden_layers=n_layers,
            num_attention_heads=n_heads,
            num_key_value_heads=n_kv,
            head_dim=head_dim,
            layer_types=layer_types,
            mlp_layer_types=mlp_types,
            rope=rope,
            sliding_window=int(sliding) if sliding else None,
            num_experts=n_experts,
            num_experts_per_tok=top_k,
            moe_intermediate_size=moe_inter,
            intermediate_size=inter,
            norm_topk_prob=bool(d.get("norm_topk_prob", True)),
            rms_norm_eps=float(d.get("rms_norm_eps", 1e-6)),
            max_position_embeddings=max_pos,
            tie_word_embeddings=bool(d.get("tie_word_embeddings", False)),
            num_mtp_layers=n_mtp,
            mtp_layer_types=mtp_types,
            mtp_mlp_layer_types=mtp_mlp,
            router_aux_loss_coef=float(d.get("router_aux_loss_coef", 0.001)),
            bos_token_id=d.get("bos_token_id"),
            eos_token_id=d.get("eos_token_id"),
            pad_token_id=d.get("pad_token_id"),
            initializer_range=float(d.get("initializer_range", 0.02)),
            extra={k: v for k, v in d.items() if k not in known},
        )

    @classmethod
    def from_file(cls, path: str | Path) -> ModelConfig:
        path = Path(path)
        if path.is_dir():
            path = path / "config.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{path} not found: a checkpoint directory needs a config.json") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path} is not valid JSON: {e}") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The config.json that the released checkpoints (and transformers' MellumConfig) use."""
        d: dict[str, Any] = {
            "architectures": ["MellumForCausalLM"],
            "model_type": "mellum",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "head_dim": self.head_dim,
            "hidden_act": "silu",
            "max_position_embeddings": self.max_position_embeddings,
            "rms_norm_eps": self.rms_norm_eps,
            "tie_word_embeddings": self.tie_word_embeddings,
            "attention_bias": False,
            "sliding_window": self.sliding_window,
            "layer_types": list(self.layer_types),
            "mlp_layer_types": list(self.mlp_layer_types),
            "rope_parameters": {lt: r.to_dict() for lt, r in self.rope.items()},
            "num_local_experts": self.num_experts,
            "num_experts_per_tok": self.num_experts_per_tok,
            "moe_intermediate_size": self.moe_intermediate_size,
            "norm_topk_prob": self.norm_topk_prob,
            "router_aux_loss_coef": self.router_aux_loss_coef,
            "initializer_range": self.initializer_range,
            "bos_token_id": self.bos_token_id,
            "eos_token_id": self.eos_token_id,
            "pad_token_id": self.pad_token_id,
        }
        if self.num_mtp_layers:
            d["num_nextn_predict_layers"] = self.num_mtp_layers
            d["mtp_layer_types"] = list(self.mtp_layer_types)
            d["mtp_mlp_layer_types"] = list(self.mtp_mlp_layer_types)
        return {**self.extra, **d}

    def save(self, directory: str | Path) -> None:
        Path(directory, "config.json").write_text(json.dumps(self.to_dict(), indent=2) + "\n")
