"""Per-layer KV caches, allocated once and written by position.

Shape legend: B batch, K key/value heads, S cache slots, T new tokens, D head dim.

Full-attention layers keep every position (`FullCache`, S = the context limit). Sliding layers keep a
ring of `window + reserve` slots (`RingCache`): the window itself plus room for tokens that may be
rolled back (speculative drafts, the changed tail of an edited prompt), so their memory does not grow
with the context and a rollback within the reserve is exact.
"""

from __future__ import annotations

import torch


class FullCache:
    """Keys and values for every position up to `capacity`."""

    def __init__(self, batch: int, kv_heads: int, capacity: int, head_dim: int, dtype: torch.dtype, device):
        self.k = torch.zeros(batch, kv_heads, capacity, head_dim, dtype=dtype, device=device)  # [B, K, S, D]
        self.v = torch.zeros_like(self.k)
        self.capacity = capacity
        _fixed(self.k, self.v)

    def prepare(self, start: int, t: int) -> None:
        """Bookkeeping before `write`, outside any compiled graph: refuse a context past the capacity."""
        if start + t > self.capacity:
            raise ValueError(f"context of {start + t} tokens exceeds the cache capacity of {self.capacity}")

    def write(self, k: torch.Tensor, v: torch.Tensor, start: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Write k, v [B, K, T, D] at positions start..start+T-1; return all keys up to there and their positions."""
        end = start + k.shape[2]
        self.k[:, :, start:end] = k
        self.v[:, :, start:end] = v
        positions = torch.arange(end, device=k.device)
        return self.k[:, :, :end], self.v[:, :, :end], positions

    def truncate(self, length: int) -> None:
        """Nothing to clear: positions past `length` are rewritten before any query can see them."""

    def nbytes(self) -> int:
        return self.k.numel() * self.k.element_size() * 2


class RingCache:
    """A sliding layer's keys and values in `window + reserve` slots, slot = position % size."""

    def __init__(self, batch: int, kv_heads: int, window: int, reserve: int, head_dim: int, dtype: torch.dtype, device):
        size = window + reserve
        self.k = torch.zeros(batch, kv_heads, size, head_dim, dtype=dtype, device=device)  # [B, K, S, D]
        self.v = torch.zeros_like(self.k)
        self.pos = torch.full((size,), -1, dtype=torch.long, device=device)  # [S] position held by each slot
        self.size, self.window = size, window
        _fixed(self.k, self.v, self.pos)
        self.lost_below = 0  # positions below this were overwritten by newer ones (the MTP ring never holds 0)

    def prepare(self, start: int, t: int) -> None:
        """Bookkeeping before `write`, outside any compiled graph: the positions the write will overwrite."""
        self.lost_below = max(self.lost_below, start + t - self.size)

    def write(self, k: torch.Tensor, v: torch.Tensor, start: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Store the new tokens and return what their queries may attend to, with each key's position.

        Up to `size - window` new tokens (a decode step, a draft being verified) are written in place
        first: the slots they overwrite hold positions older than any of their queries can see. A longer
        chunk (prefill) attends over the ring as it was plus the chunk, then keeps the newest `size`."""
        t = k.shape[2]
        new_pos = torch.arange(start, start + t, device=k.device)
        if t <= self.size - self.window:
            slots = new_pos % self.size
            self.k[:, :, slots] = k
            self.v[:, :, slots] = v
            self.pos[slots] = new_pos
            return self.k, self.v, self.pos
        keys = torch.cat([self.k, k], dim=2)  # [B, K, S+T, D]
        values = torch.cat([self.v, v], dim=2)
        positions = torch.cat([self.pos, new_pos])
        keep = min(t, self.size)
        slots = new_pos[-keep:] % self.size
        self.k[:, :, slots] = k[:, :, -keep:]
        self.v[:, :, slots] = v[:, :, -keep:]
        self.pos[slots] = new_pos[-keep:]
        return keys, values, positions

    def truncate(self, length: int) -> None:
        """Forget positions >= length, as if they had never been computed."""
        self.pos.masked_fill_(self.pos >= length, -1)
        self.lost_below = min(self.lost_below, length)

    def nbytes(self) -> int:
        return self.k.numel() * self.k.element_size() * 2


def _fixed(*buffers: torch.Tensor) -> None:
    """Tell torch.compile these sizes never change, so that a compiled step's dynamic shapes never take
    a cache dimension for a token count that happened to equal it while tracing."""
    for b in buffers:
        torch._dynamo.mark_static(b)
