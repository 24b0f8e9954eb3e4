"""The Mellum 2 network in plain PyTorch: modules and one forward pass, nothing about generation.

Shape legend: B batch, T tokens in this call, S keys visible to a query, H hidden size,
Q query heads, K key/value heads, D head dim, E experts, k experts per token, I expert FFN size,
V vocabulary, N = B*T flattened tokens.

Parameter names follow the released checkpoints (`model.layers.N.self_attn.q_proj.weight`, ...) except the
experts, which are stacked per layer (`mlp.experts.w13` [E, 2I, H] = gate and up, `mlp.experts.w2`
[E, H, I]) so that dispatch is a gather and a batched matmul instead of a module per expert;
`model/weights.py` converts to and from the one-tensor-per-expert layout on disk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig, RopeConfig
from .kv_cache import FullCache, RingCache

COMPILED_MAX_TOKENS = 16  # cached calls up to this many tokens (a step verifying 8 lookup drafts) run compiled


class Linear(nn.Linear):
    """A bias-free projection whose weight may be stored narrower than the activations: bf16 weights with
    fp32 math, exact for a bf16 checkpoint, halve the bytes a decode step reads. Under torch.compile (a
    step of a few tokens) it is written as products and sums, which inductor fuses into one loop that
    reads the weight once in its stored dtype; at batch 1 a GEMM call per projection costs more than the
    math."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__(in_features, out_features, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.to(x.dtype)
        if torch.compiler.is_compiling():
            return (x[..., None, :] * w).sum(-1)
        return F.linear(x, w)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # normalised in fp32, scaled after casting back, as the reference does (one fused op, not five)
        return self.weight * F.rms_norm(x.float(), (x.shape[-1],), eps=self.eps).to(x.dtype)


def rope_frequencies(rope: RopeConfig, head_dim: int) -> tuple[torch.Tensor, float]:
    """Inverse frequencies [D/2] and the cos/sin scale for one layer type (plain RoPE or YaRN)."""
    dim = int(head_dim * rope.partial_rotary_factor)
    pos_freqs = rope.theta ** (torch.arange(0, dim, 2, dtype=torch.float) / dim)
    if rope.rope_type == "default":
        return 1.0 / pos_freqs, 1.0

    def correction_dim(rotations: float) -> float:
        assert rope.original_max_position_embeddings is not None
        return (dim * math.log(rope.original_max_position_embeddings / (rotations * 2 * math.pi))) / (
            2 * math.log(rope.theta)
        )

    low, high = correction_dim(rope.beta_fast), correction_dim(rope.beta_slow)
    if rope.truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    extrapolation = 1 - ramp
    inv_freq = (1.0 / (rope.factor * pos_freqs)) * (1 - extrapolation) + (1.0 / pos_freqs) * extrapolation
    return inv_freq, rope.attention_factor


class Rotary(nn.Module):
    """cos/sin for given positions, computed on the fly (no 128K-row table)."""

    inv_freq: torch.Tensor
    scale: float

    def __init__(self, rope: RopeConfig, head_dim: int):
        super().__init__()
        inv_freq, self.scale = rope_frequencies(rope, head_dim)
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, positions: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        freqs = positions[:, None].float() * self.inv_freq  # [T, D/2]
        emb = torch.cat((freqs, freqs), dim=-1)  # [T, D]
        return (emb.cos() * self.scale).to(dtype), (emb.sin() * self.scale).to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [B, heads, T, D]; cos/sin [T, D]."""
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig, layer_type: str):
        super().__init__()
        self.n_heads, self.n_kv, self.head_dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        h = cfg.hidden_size
        self.q_proj = Linear(h, self.n_heads * self.head_dim)
        self.k_proj = Linear(h, self.n_kv * self.head_dim)
        self.v_proj = Linear(h, self.n_kv * self.head_dim)
        self.o_proj = Linear(self.n_heads * self.head_dim, h)
        self.q_norm = RMSNorm(self.head_dim, cfg.rms_norm_eps)
        self.k_norm = RMSNorm(self.head_dim, cfg.rms_norm_eps)
        self.window = cfg.sliding_window if layer_type == "sliding_attention" else None

    def forward(
        self,
        x: torch.Tensor,  # [B, T, H]
        rope: tuple[torch.Tensor, torch.Tensor],
        positions: torch.Tensor,  # [T]
        start: int,  # positions[0], as an int
        cache: FullCache | RingCache | None,
    ) -> torch.Tensor:
        b, t, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(b, t, self.n_heads, self.head_dim)).transpose(1, 2)  # [B, Q, T, D]
        k = self.k_norm(self.k_proj(x).view(b, t, self.n_kv, self.head_dim)).transpose(1, 2)  # [B, K, T, D]
        v = self.v_proj(x).view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        if cache is None:
            key_pos = positions
        else:
            k, v, key_pos = cache.write(k, v, start)  # [B, K, S, D], [S]
        mask = self._mask(positions, key_pos, cached=cache is not None)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, is_causal=mask is None and cache is None and t > 1, enable_gqa=True
        )
        return self.o_proj(out.transpose(1, 2).reshape(b, t, -1))

    def _mask(self, q_pos: torch.Tensor, k_pos: torch.Tensor, cached: bool) -> torch.Tensor | None:
        """Boolean [T, S] (True = attend), or None when plain causal (or everything) is right."""
        if self.window is None and (not cached or q_pos.numel() == 1):
            return None  # full layer: causal without a cache, everything cached is visible to one query
        diff = q_pos[:, None] - k_pos[None, :]  # [T, S]
        mask = (diff >= 0) & (k_pos[None, :] >= 0)
        if self.window is not None:
            mask &= diff < self.window
        return mask


class Experts(nn.Module):
    """E SwiGLU experts stacked in two tensors."""

    def __init__(self, n_experts: int, hidden: int, inter: int):
        super().__init__()
        self.inter = inter
        self.w13 = nn.Parameter(torch.empty(n_experts, 2 * inter, hidden))  # [E, 2I, H]
        self.w2 = nn.Parameter(torch.empty(n_experts, hidden, inter))  # [E, H, I]

    def forward(self, x: torch.Tensor, idx: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """x [N, H], idx/weights [N, k] -> [N, H].

        Eager, one token (a decode step): its k experts one after another, on views of the stacked
        weights. Eager, more tokens: (token, expert) pairs sorted by expert, one matmul pair per expert
        that has tokens. Both beat gathering k weight copies per token, which costs more memory traffic
        than the math. Under torch.compile (a few tokens: decode and draft verification) the gather is
        written as products and sums, which the compiler fuses into loops that read the chosen experts
        in place; the eager paths are not traceable (they branch on the routing)."""
        n, top_k = idx.shape
        if torch.compiler.is_compiling():
            gate_up = (x[:, None, None, :] * self.w13[idx].to(x.dtype)).sum(-1)  # [N, k, 2I]
            gate, up = gate_up.chunk(2, dim=-1)
            out = ((F.silu(gate) * up)[:, :, None, :] * self.w2[idx].to(x.dtype)).sum(-1)  # [N, k, H]
            return (out * weights[..., None]).sum(1)
        if n == 1:
            out = torch.zeros_like(x)
            for j, e in enumerate(idx[0].tolist()):
                gate, up = F.linear(x, self.w13[e].to(x.dtype)).chunk(2, dim=-1)  # [1, I] each
                out += F.linear(F.silu(gate) * up, self.w2[e].to(x.dtype)) * weights[:, j : j + 1]
            return out
        flat = idx.reshape(-1)  # [N*k]
        order = flat.argsort(stable=True)  # pairs grouped by expert
        counts = torch.bincount(flat, minlength=self.w13.shape[0]).tolist()
        token_of = order // top_k
        xs = x[token_of]  # [N*k, H]
        outs = []
        for e, group in enumerate(torch.split(xs, counts)):
            if group.shape[0]:
                gate, up = F.linear(group, self.w13[e].to(x.dtype)).chunk(2, dim=-1)
                outs.append(F.linear(F.silu(gate) * up, self.w2[e].to(x.dtype)))
        out = torch.cat(outs) * weights.reshape(-1)[order].unsqueeze(-1)  # [N*k, H]
        return torch.zeros_like(x).index_add_(0, token_of, out.to(x.dtype))


class SparseMoe(nn.Module):
    """Router exactly as the reference: fp32 softmax over all experts, top-k, renormalised."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.top_k, self.norm_topk = cfg.num_experts_per_tok, cfg.norm_topk_prob
        self.gate = Linear(cfg.hidden_size, cfg.num_experts)  # router [E, H]
        self.experts = Experts(cfg.num_experts, cfg.hidden_size, cfg.moe_intermediate_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t, h = x.shape
        flat = x.reshape(-1, h)  # [N, H]
        logits = self.gate(flat)  # [N, E]
        probs = torch.softmax(logits, dim=-1, dtype=torch.float)
        top_w, top_i = torch.topk(probs, self.top_k, dim=-1)  # [N, k]
        if self.norm_topk:
            top_w = top_w / top_w.sum(dim=-1, keepdim=True)
        out = self.experts(flat, top_i, top_w.to(x.dtype))
        return out.view(b, t, h), logits


class DenseMlp(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        h, i = cfg.hidden_size, cfg.intermediate_size
        self.gate_proj = Linear(h, i)
        self.up_proj = Linear(h, i)
        self.down_proj = Linear(i, h)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x)), None


class DecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig, index: int):
        super().__init__()
        self.layer_type = cfg.layer_type(index)
        self.self_attn = Attention(cfg, self.layer_type)
        self.mlp: SparseMoe | DenseMlp = SparseMoe(cfg) if cfg.mlp_type(index) == "sparse" else DenseMlp(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, x, rope, positions, start, cache) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = x + self.self_attn(self.input_layernorm(x), rope, positions, start, cache)
        mlp_out, router_logits = self.mlp(self.post_attention_layernorm(x))
        return x + mlp_out, router_logits


class MtpLayer(DecoderLayer):
    """One MTP layer: fuses the embedding of token t+1 with the trunk state at t, then a decoder block,
    then its own final norm (`Mellum.mtp_forward` runs the three)."""

    def __init__(self, cfg: ModelConfig, index: int):
        super().__init__(cfg, index)
        h = cfg.hidden_size
        self.enorm = RMSNorm(h, cfg.rms_norm_eps)
        self.hnorm = RMSNorm(h, cfg.rms_norm_eps)
        self.eh_proj = Linear(2 * h, h)
        self.post_norm = RMSNorm(h, cfg.rms_norm_eps)

    def fuse(self, embeds: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """The block's input: the embedding of token t+1 joined with the state at t."""
        return self.eh_proj(torch.cat([self.enorm(embeds), self.hnorm(hidden)], dim=-1))


class MtpStack(nn.Module):
    """Holds the MTP layer under the checkpoint's name, numbered after the trunk (`mtp.layers.28.`)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        n = cfg.num_hidden_layers
        self.layers = nn.ModuleDict({str(n + i): MtpLayer(cfg, n + i) for i in range(cfg.num_mtp_layers)})


class Trunk(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg, i) for i in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


@dataclass
class ForwardOutput:
    logits: torch.Tensor  # [B, T, V] (only the positions asked for)
    hidden: torch.Tensor  # [B, T, H] final trunk state after the final norm: what MTP drafts from
    router_logits: list[torch.Tensor]  # per sparse layer, [N, E] (training: load-balancing loss)


class Mellum(nn.Module):
    """The trunk, the LM head and the optional MTP layer."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.model = Trunk(cfg)
        self.lm_head = Linear(cfg.hidden_size, cfg.vocab_size)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        self.mtp = MtpStack(cfg)
        self.rotary = nn.ModuleDict({lt: Rotary(r, cfg.head_dim) for lt, r in cfg.rope.items()})
        self._steps: tuple[Callable, Callable] | None = None  # see compile_steps

    def materialize(self, device: str, dtype: torch.dtype, matrix_dtype: torch.dtype | None = None) -> None:
        """Give a model built on the meta device uninitialised storage on `device`: each parameter allocated
        once, in its final dtype (matrices in `matrix_dtype` when given), so a 12B model never exists in
        fp32 on the way to bf16; then its tied head and its RoPE frequencies, which the meta device lost."""
        for module in self.modules():
            for name, p in list(module.named_parameters(recurse=False)):
                kind = matrix_dtype if matrix_dtype is not None and p.dim() >= 2 else dtype
                setattr(module, name, nn.Parameter(torch.empty(p.shape, dtype=kind, device=device), p.requires_grad))
        if self.cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        for lt, rot in self.rotary.items():
            inv_freq, scale = rope_frequencies(self.cfg.rope[lt], self.cfg.head_dim)
            cast(Rotary, rot).inv_freq = inv_freq.to(device)
            cast(Rotary, rot).scale = scale

    @property
    def mtp_layer(self) -> MtpLayer | None:
        layers = list(self.mtp.layers.values())
        return cast(MtpLayer, layers[0]) if layers else None

    # -- caches ----------------------------------------------------------------------------------

    def new_caches(self, capacity: int, ring_reserve: int, batch: int = 1) -> list[FullCache | RingCache]:
        """One cache per trunk layer, then one for the MTP layer: full layers hold `capacity` positions,
        sliding layers `window + ring_reserve`."""
        cfg, dtype, device = self.cfg, self.compute_dtype, self.lm_head.weight.device
        caches: list[FullCache | RingCache] = []
        for i in range(cfg.num_hidden_layers + cfg.num_mtp_layers):
            if cfg.layer_type(i) == "sliding_attention":
                assert cfg.sliding_window is not None
                caches.append(
                    RingCache(
                        batch,
                        cfg.num_key_value_heads,
                        cfg.sliding_window,
                        ring_reserve,
                        cfg.head_dim,
                        dtype,
                        device,
                    )
                )
            else:
                caches.append(
                    FullCache(batch, cfg.num_key_value_heads, capacity, cfg.head_dim, dtype, device)
                )
        return caches

    # -- forward ---------------------------------------------------------------------------------

    @property
    def compute_dtype(self) -> torch.dtype:
        """The activations' dtype; vectors (norms) are stored in it, matrices may be stored narrower."""
        return self.model.norm.weight.dtype

    def _rope(
        self, positions: torch.Tensor, dtype: torch.dtype
    ) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        return {lt: rot(positions, dtype) for lt, rot in self.rotary.items()}

    def forward(
        self,
        tokens: torch.Tensor,  # [B, T]
        positions: torch.Tensor,  # [T]
        caches: list[FullCache | RingCache] | None = None,
        logits_from: int = 0,  # compute logits only for positions [logits_from:] of this call
    ) -> ForwardOutput:
        start = self._prepare(caches[: self.cfg.num_hidden_layers] if caches else None, positions)
        if self._steps is None or caches is None or not self._compiled_call(tokens, start):
            return ForwardOutput(*self._trunk(tokens, positions, start, caches, logits_from))
        logits, hidden, router_logits = self._steps[0](tokens, positions, start, caches)
        return ForwardOutput(logits[:, logits_from:], hidden, router_logits)

    def mtp_forward(
        self,
        next_tokens: torch.Tensor,  # [B, T] tokens t+1
        hidden: torch.Tensor,  # [B, T, H] trunk (or previous MTP) state at t
        positions: torch.Tensor,  # [T] positions of tokens t+1
        caches: list[FullCache | RingCache] | None = None,
        logits_from: int = 0,
    ) -> ForwardOutput:
        """Logits for tokens t+2 from the MTP layer; its output state can be fed back to draft further."""
        if self.mtp_layer is None:
            raise RuntimeError("this checkpoint has no MTP weights")
        cache = caches[-1] if caches else None
        start = self._prepare([cache] if cache else None, positions)
        if self._steps is None or cache is None or not self._compiled_call(next_tokens, start):
            return ForwardOutput(*self._mtp(next_tokens, hidden, positions, start, cache, logits_from))
        # a copy: a slice of a longer call's states has other strides, which would compile another graph
        logits, out, router_logits = self._steps[1](
            next_tokens, hidden.clone(memory_format=torch.contiguous_format), positions, start, cache
        )
        return ForwardOutput(logits[:, logits_from:], out, router_logits)

    @staticmethod
    def _prepare(caches: list[FullCache | RingCache] | None, positions: torch.Tensor) -> int:
        """The caches' bookkeeping for a call at `positions`, kept out of the math (and of compiled graphs)."""
        if not caches:
            return 0
        start = int(positions[0])
        for cache in caches:
            cache.prepare(start, positions.numel())
        return start

    @staticmethod
    def _compiled_call(tokens: torch.Tensor, start: int) -> bool:
        """Whether a cached call runs compiled: a few tokens, past the first two positions (the compiler
        specialises 0 and 1, so a start there would compile graphs that serve nothing else)."""
        return tokens.shape[1] <= COMPILED_MAX_TOKENS and start >= 2

    # The math of a call, without bookkeeping: what `compile_steps` compiles. Compiled, they return
    # every position's logits (`logits_from` would be one more specialised int); the caller slices.

    def _trunk(self, tokens, positions, start, caches, logits_from=0):
        x = self.model.embed_tokens(tokens).to(self.compute_dtype)  # [B, T, H]
        rope = self._rope(positions, x.dtype)
        router_logits = []
        for i, layer in enumerate(self.model.layers):
            x, rl = layer(x, rope[self.cfg.layer_types[i]], positions, start, caches[i] if caches else None)
            if rl is not None:
                router_logits.append(rl)
        hidden = self.model.norm(x)
        return self.lm_head(hidden[:, logits_from:]), hidden, router_logits

    def _mtp(self, next_tokens, hidden, positions, start, cache, logits_from=0):
        layer = cast(MtpLayer, self.mtp_layer)
        embeds = self.model.embed_tokens(next_tokens).to(self.compute_dtype)
        rope = self.rotary[self.cfg.mtp_layer_types[0]](positions, embeds.dtype)
        x, rl = layer(layer.fuse(embeds, hidden), rope, positions, start, cache)
        out = layer.post_norm(x)
        return self.lm_head(out[:, logits_from:]), out, [rl] if rl is not None else []

    @contextmanager
    def eager(self) -> Iterator[None]:
        """Run without the compiled steps inside (the reference they are measured against)."""
        steps, self._steps = self._steps, None
        try:
            yield
        finally:
            self._steps = steps

    def compile_steps(self, enabled: bool = True) -> None:
        """Compile the whole trunk and the MTP layer, caches and attention included, for cached calls of a
        few tokens (a decode step, MTP drafts, their verification, a keystroke's prefill). A decode step
        at batch 1 on a CPU is mostly per-operation overhead; one compiled graph per call runs it as a
        few fused loops. Shapes are dynamic: each compiles one graph for one token and one for more
        (seconds each: `Engine.compile` does it at load time)."""
        if not enabled:
            self._steps = None
            return
        # Graphs are per model: a process that loads several (tests, benchmarks) needs more than 8.
        torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)
        self._steps = (
            torch.compile(self._trunk, dynamic=True, fullgraph=True),
            torch.compile(self._mtp, dynamic=True, fullgraph=True),
        )

    # -- bookkeeping -----------------------------------------------------------------------------

    def param_counts(self) -> tuple[int, int]:
        """(total, active per token) parameters of the trunk, embedding and head; the MTP layer is not
        counted. Active = everything but the experts a token is not routed to."""
        cfg = self.cfg
        total = sum(p.numel() for name, p in self.named_parameters() if not name.startswith("mtp."))
        per_expert = 3 * cfg.hidden_size * cfg.moe_intermediate_size
        sparse_layers = sum(1 for t in cfg.mlp_layer_types if t == "sparse")
        inactive = sparse_layers * (cfg.num_experts - cfg.num_experts_per_tok) * per_expert
        return total, total - inactive


def init_weights(model: Mellum, std: float | None = None) -> None:
    """Random init as the reference does it: normal(0, initializer_range), norms to one."""
    std = model.cfg.initializer_range if std is None else std
    for name, p in model.named_parameters():
        if name.endswith("norm.weight"):
            nn.init.ones_(p)
        else:
            nn.init.normal_(p, mean=0.0, std=std)
