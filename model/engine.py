"""The inference engine: prefill with prefix reuse, decoding, speculative decoding, streaming, cancellation.

One engine holds one model and a few independent *slots*, each a KV cache allocated once plus the
tokens it holds. A request on a slot reuses the longest token prefix it shares with what the slot
already holds (a keystroke changes only the tail of a completion prompt), so only the new tokens are
computed. Rolling back (the changed tail, rejected speculative tokens) leaves the caches exactly as if
those tokens had never been computed; sliding layers keep `ring_reserve` spare slots for that.

Drafts come from the MTP layer when the checkpoint has one, else from prompt lookup; the trunk
verifies a whole draft in one forward pass. Greedy speculative output equals plain greedy output.

Single-threaded by design: the server calls it from one worker thread.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch

from .config import ModelConfig
from .draft_policy import DraftPolicy
from .healing import Healer
from .kv_cache import FullCache, RingCache
from .modeling import Mellum
from .sampling import accept_draft, probabilities, sample
from .speculative import NgramIndex
from .tokenizer import StreamDecoder, Tokenizer
from .weights import CheckpointError, load_model

log = logging.getLogger(__name__)

DEFAULT_MODEL_DIR = Path(__file__).parent / "default"
NON_STOPPING_SPECIALS = ("<think>", "</think>")
FinishReason = Literal["stop", "length", "cancelled"]


@dataclass
class GenerationParams:
    max_new_tokens: int = 64
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    top_k: int = 0
    stop: tuple[str, ...] = ()  # stop strings, not included in the returned text
    draft: Literal["auto", "mtp", "lookup", "none"] = "auto"
    draft_tokens: int = 0  # tokens per draft; 0 = the engine's default for the draft source
    lookup_text: str | None = None  # extra text for prompt lookup (e.g. the original region of an edit)
    heal: bool = False  # the prompt ends with a FIM prefix then <fim_middle>: token healing (model/healing.py)
    seed: int | None = None


@dataclass
class GenerationResult:
    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    cached_tokens: int
    new_tokens: int
    decode_steps: int
    draft_proposed: int
    draft_accepted: int
    ttft_s: float
    total_s: float
    draft_source: str = "none"
    token_ids: list[int] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float:
        return self.draft_accepted / self.draft_proposed if self.draft_proposed else 0.0

    @property
    def mean_accepted_length(self) -> float:
        """Tokens gained per trunk forward after prefill (1.0 = plain decoding)."""
        return self.new_tokens / self.decode_steps if self.decode_steps else 0.0


class Slot:
    """One independent sequence: its caches and the tokens they hold (bookkeeping only, no math)."""

    def __init__(self, caches: list[FullCache | RingCache], window: int | None):
        self.caches = caches
        self.window = window
        self.tokens: list[int] = []  # what the trunk caches hold, position by position
        self.mtp_valid = 0  # the MTP cache holds the pairs (state p-1, token p) for p < mtp_valid

    def reusable_prefix(self, prompt: list[int], *, needs_mtp: bool) -> int:
        """How many leading prompt tokens can keep their cached state. At least one token is recomputed,
        for the hidden state that the next logits and the MTP draft need."""
        common = 0
        for a, b in zip(self.tokens, prompt, strict=False):
            if a != b:
                break
            common += 1
        if needs_mtp:
            common = min(common, self.mtp_valid)
        common = min(common, len(prompt)) - 1
        if common <= 0:
            return 0
        rings = [c for c in self.caches if isinstance(c, RingCache)]
        if rings and self.window is not None:
            needed_from = max(0, common - self.window + 1)
            if any(r.lost_below > needed_from for r in rings):
                return 0  # rolled back further than the ring's spare slots: the window is gone
        return common

    def truncate(self, length: int) -> None:
        for c in self.caches:
            c.truncate(length)
        del self.tokens[length:]
        self.mtp_valid = min(self.mtp_valid, length)


class Engine:
    def __init__(
        self,
        model: Mellum,
        tokenizer: Tokenizer,
        *,
        name: str = "model",
        slots: int = 2,
        context: int | None = None,
        ring_reserve: int = 512,
        prefill_chunk: int = 512,
        mtp_draft_tokens: int = 2,
        lookup_draft_tokens: int = 8,
    ):
        self.model = model
        self.tokenizer = tokenizer
        self.config: ModelConfig = model.cfg
        self.name = name
        self.device = str(model.lm_head.weight.device)
        self.context = min(context or model.cfg.max_position_embeddings, model.cfg.max_position_embeddings)
        self.ring_reserve = max(ring_reserve, lookup_draft_tokens + 1, mtp_draft_tokens + 1)
        self.prefill_chunk = prefill_chunk
        self.mtp_draft_tokens = mtp_draft_tokens
        self.lookup_draft_tokens = lookup_draft_tokens
        self.has_mtp = model.mtp_layer is not None
        self.draft_policy = DraftPolicy()
        self.slots = [self._new_slot() for _ in range(slots)]
        stop_ids = {i for t, i in tokenizer.special.items() if t not in NON_STOPPING_SPECIALS}
        eos = self.config.eos_token_id
        stop_ids |= set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        self.stop_ids = frozenset(stop_ids)

    @functools.cached_property
    def healer(self) -> Healer:
        return Healer(self.tokenizer)

    def compile(self) -> None:
        """Compile the model's few-token steps (`Mellum.compile_steps`) and run every kind of step that
        decoding uses (plain, MTP or prompt-lookup drafts and their verification) once, so that no
        request waits for a compilation. One slot is enough: every slot's caches have the same shapes,
        so they share the graphs. Where compiling fails (inductor needs a C++ compiler on the CPU),
        decoding stays eager and the reason is logged."""
        warm = self.tokenizer.encode("def add(a, b):\n    return a + b\n\n\ndef add(a, b):\n")
        try:
            self.model.compile_steps()
            for draft in ("none", "mtp" if self.has_mtp else "lookup"):
                self.generate(warm, GenerationParams(max_new_tokens=6, draft=draft))  # type: ignore[arg-type]
                # a keystroke: a few new tokens after a cached prefix
                self.generate(warm + warm[:3], GenerationParams(max_new_tokens=2, draft=draft))  # type: ignore[arg-type]
            self._measure_drafting()
        except Exception as exc:  # torch raises many kinds here (BackendCompilerFailed, CppCompileError, ...)
            self.model.compile_steps(enabled=False)
            log.warning("torch.compile failed (%s: %s); decoding runs eagerly", type(exc).__name__, exc)
        for cleared in self.slots:
            cleared.truncate(0)

    @torch.inference_mode()
    def _measure_drafting(self) -> None:
        """What a drafting step costs in plain steps, for `draft_policy`: drafting calls and a verifying
        trunk call against a one-token call, each the best of a few, on slot 0's cached warm-up text."""
        s = self.slots[0]
        pos = len(s.tokens)
        text = s.tokens[-(self.lookup_draft_tokens + 1) :]
        hidden = torch.zeros(1, 1, self.config.hidden_size, dtype=self.model.compute_dtype, device=self.device)

        def trunk(n: int) -> None:
            self.model(torch.tensor([text[:n]], device=self.device), torch.arange(pos, pos + n, device=self.device), s.caches)

        def mtp(k: int) -> None:
            for i in range(k):
                self.model.mtp_forward(torch.tensor([text[i : i + 1]], device=self.device), hidden,
                                       torch.tensor([pos + i], device=self.device), s.caches)

        def best(run: Callable[[], None]) -> float:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                run()
                times.append(time.perf_counter() - t0)
                s.truncate(pos)
            return min(times)

        plain = best(lambda: trunk(1))
        k = self.mtp_draft_tokens
        if self.has_mtp:

            def mtp_step() -> None:
                mtp(k)
                trunk(1 + k)

            self.draft_policy.cost["mtp"] = best(mtp_step) / plain
        self.draft_policy.cost["lookup"] = best(lambda: trunk(1 + self.lookup_draft_tokens)) / plain
        log.info("a drafting step costs %s plain steps",
                 ", ".join(f"{c:.2f} ({src})" for src, c in self.draft_policy.cost.items()))

    def _new_slot(self) -> Slot:
        caches = self.model.new_caches(self.context, self.ring_reserve)
        return Slot(caches, self.config.sliding_window)

    # -- loading ---------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        model: str = "default",
        *,
        device: str = "cpu",
        dtype: str = "auto",
        compile: Literal["auto", "on", "off"] = "off",
        threads: int = 0,
        **kwargs,
    ) -> Engine:
        """Load a checkpoint; `compile` "auto" compiles the decode steps on a CPU, where they are
        bound by per-operation overhead (untested on GPUs, so left off there). `dtype` "auto" is bf16 on
        CUDA; on a CPU the math is fp32, and compiled steps keep the checkpoint's bf16 matrices as they
        are (exact, half the bytes). `threads` sets torch's
        CPU threads for the process (0 leaves torch's default): OpenMP threads spin-wait for each
        other, so on cores another process is busy with, one thread is far steadier than several."""
        if threads:
            torch.set_num_threads(threads)
        directory = resolve_model(model)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        compiled = compile == "on" or (compile == "auto" and device == "cpu")
        # Compiled steps read bf16/fp16 weights in place and compute in fp32; eager ones would convert them
        # at every call, so an eager CPU model widens them once at load.
        narrow = dtype == "auto" and compiled
        net = load_model(directory, device=device, dtype=resolve_dtype(dtype, device), narrow_weights=narrow)
        tokenizer = Tokenizer.from_dir(directory)
        engine = cls(net, tokenizer, name=str(model), **kwargs)
        if compiled:
            engine.compile()
        return engine

    # -- generation ------------------------------------------------------------------------------

    @torch.inference_mode()
    def generate(
        self,
        prompt: str | list[int],
        params: GenerationParams,
        *,
        slot: int = 0,
        on_text: Callable[[str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> GenerationResult:
        t0 = time.perf_counter()
        s = self.slots[slot]
        ids = self.tokenizer.encode(prompt) if isinstance(prompt, str) else list(prompt)
        if not ids:
            ids = [self.tokenizer.eos_id]
        ids, healed = self.healer.split(ids) if params.heal else (ids, "")
        budget = self.context - len(ids)
        if budget <= 0:
            raise ValueError(
                f"prompt of {len(ids)} tokens leaves no room in the {self.context}-token context"
            )
        max_new = min(params.max_new_tokens, budget)
        source = self._draft_source(params)
        k = params.draft_tokens or (self.mtp_draft_tokens if source == "mtp" else self.lookup_draft_tokens)
        k = min(k, self.ring_reserve - 1)
        gen = torch.Generator(device="cpu").manual_seed(params.seed) if params.seed is not None else None
        stop_check = should_stop or (lambda: False)

        # Prefill only what is new (the MTP layer follows along, so its cache is always in step).
        cached = s.reusable_prefix(ids, needs_mtp=self.has_mtp)
        s.truncate(cached)
        result = GenerationResult("", "stop", len(ids), cached, 0, 0, 0, 0, 0.0, 0.0, source)
        prefilled = self._prefill(s, ids[cached:], should_stop=stop_check)
        if prefilled is None:
            result.finish_reason, result.total_s = "cancelled", time.perf_counter() - t0
            return result
        logits, hidden = prefilled

        out = _Output(self.tokenizer, params.stop, max_new, self.stop_ids, on_text, skip=healed)
        lookup = NgramIndex() if source == "lookup" else None
        if lookup is not None:
            lookup.extend(ids)
            if params.lookup_text:
                lookup.follow(self.tokenizer.encode(params.lookup_text))
            out.on_commit = lookup.extend
        next_token = _choose(self.healer.restrict(logits, healed) if healed else logits, params, gen)
        finish: FinishReason | None = out.commit(next_token)
        result.ttft_s = time.perf_counter() - t0
        while finish is None:
            if stop_check():
                finish = "cancelled"
                break
            # Draft, then verify [next_token, *draft] in one trunk pass.
            room = max_new - len(out.ids) - 1
            draft: list[int] = []
            draft_probs = None
            if source == "mtp":
                draft, draft_probs = self._mtp_draft(s, hidden, next_token, min(k, max(room, 1)), params, gen)
            elif lookup is not None:
                draft = lookup.propose(k)
            draft = draft[: max(0, room)]
            if draft_probs is not None:
                draft_probs = draft_probs[: len(draft)]
            start = len(s.tokens)
            step = self.model(
                torch.tensor([[next_token, *draft]], device=self.device),
                torch.arange(start, start + 1 + len(draft), device=self.device),
                s.caches,
            )
            s.tokens.extend([next_token, *draft])
            result.decode_steps += 1
            if params.temperature <= 0:  # greedy: keep drafts while they equal the argmax
                best = step.logits[0].argmax(-1).tolist()
                n_ok = next((i for i, d in enumerate(draft) if d != best[i]), len(draft))
                next_token = best[n_ok]
            elif draft:
                target = probabilities(step.logits[0], params.temperature, params.top_k, params.top_p)
                n_ok, next_token = accept_draft(target, draft, draft_probs, gen)
            else:
                n_ok, next_token = 0, _choose(step.logits[0, 0], params, gen)
            result.draft_proposed += len(draft)
            result.draft_accepted += n_ok
            # Roll back the rejected drafts: the caches then hold exactly the committed tokens.
            if n_ok < len(draft):
                s.truncate(start + 1 + n_ok)
            hidden = step.hidden[:, : 1 + n_ok]
            for tok in [*draft[:n_ok], next_token]:
                finish = out.commit(tok)
                if finish is not None:
                    break
        out.flush()
        result.finish_reason = finish or "stop"
        result.text = out.text
        result.token_ids = out.ids
        result.new_tokens = len(out.ids)
        result.total_s = time.perf_counter() - t0
        if source != "none" and result.decode_steps:
            self.draft_policy.observe(source, (result.new_tokens - 1) / result.decode_steps)
        if result.draft_proposed:
            log.info(
                "%s drafts: %d/%d accepted (%.0f%%), %.2f tokens per step",
                source,
                result.draft_accepted,
                result.draft_proposed,
                100 * result.acceptance_rate,
                result.mean_accepted_length,
            )
        return result

    @torch.inference_mode()
    def next_logits(self, prompt: list[int], *, slot: int = 0) -> torch.Tensor:
        """Logits [V] after `prompt`, computed with the slot's prefix reuse (what `check` compares)."""
        s = self.slots[slot]
        cached = s.reusable_prefix(prompt, needs_mtp=self.has_mtp)
        s.truncate(cached)
        prefilled = self._prefill(s, prompt[cached:], should_stop=lambda: False)
        assert prefilled is not None
        return prefilled[0].float()

    def _draft_source(self, params: GenerationParams) -> str:
        """An explicit source is honoured; "auto" drafts from the given text (an edit) or the MTP head, and
        only while drafting pays on this machine (`draft_policy`)."""
        if params.draft == "mtp" and not self.has_mtp:
            raise ValueError("draft='mtp' asked for, but this checkpoint has no MTP weights")
        if params.draft != "auto":
            return params.draft
        source = "lookup" if params.lookup_text or not self.has_mtp else "mtp"
        return source if self.draft_policy.pays(source) else "none"

    # -- the steps -------------------------------------------------------------------------------

    def _prefill(self, s: Slot, new: list[int], *, should_stop: Callable[[], bool]):
        """Run the trunk over `new` in chunks, and the MTP layer over the same positions so its cache is
        ready to draft. Returns (last logits [V], last hidden [1, 1, H]), or None if stopped."""
        logits = hidden = None
        for i in range(0, len(new), self.prefill_chunk):
            if i and should_stop():
                return None
            chunk = new[i : i + self.prefill_chunk]
            start = len(s.tokens)
            positions = torch.arange(start, start + len(chunk), device=self.device)
            out = self.model(
                torch.tensor([chunk], device=self.device), positions, s.caches, logits_from=len(chunk) - 1
            )
            if self.has_mtp:
                # pairs (state at p-1, token p); the first chunk's first pair is cached already (or p = 0)
                if hidden is None:
                    toks, states, first = chunk[1:], out.hidden[:, :-1], start + 1
                else:
                    toks, states, first = chunk, torch.cat([hidden, out.hidden[:, :-1]], dim=1), start
                if toks:
                    s.caches[-1].truncate(first)
                    self.model.mtp_forward(
                        torch.tensor([toks], device=self.device),
                        states,
                        positions[-len(toks) :],
                        s.caches,
                        logits_from=len(toks),
                    )
            s.tokens.extend(chunk)
            s.mtp_valid = len(s.tokens)
            logits, hidden = out.logits[0, -1], out.hidden[:, -1:]
        return logits, hidden

    def _mtp_draft(self, s: Slot, hidden: torch.Tensor, token: int, k: int, params: GenerationParams, gen):
        """Draft k tokens after `token` (about to be at position len(s.tokens)) with the MTP layer.

        `hidden` holds the trunk states of the positions committed since the MTP cache was last right
        (the last of them precedes `token`); they are paired with their next tokens first, then the MTP
        layer runs on its own output to draft further."""
        pos = len(s.tokens)
        n = hidden.shape[1]
        toks = s.tokens[pos - n + 1 :] + [token]  # tokens at positions pos-n+1 .. pos
        first = pos - n + 1
        s.caches[-1].truncate(first)
        out = self.model.mtp_forward(
            torch.tensor([toks], device=self.device),
            hidden,
            torch.arange(first, pos + 1, device=self.device),
            s.caches,
            logits_from=len(toks) - 1,
        )
        draft: list[int] = []
        dists = []
        state = out.hidden[:, -1:]
        logits = out.logits[0, -1]
        for i in range(k):
            if params.temperature > 0:
                p = probabilities(logits, params.temperature, params.top_k, params.top_p)
                tok = int(sample(p, gen))
                dists.append(p)
            else:
                tok = int(logits.argmax())
            draft.append(tok)
            if i + 1 == k:
                break
            nxt = self.model.mtp_forward(
                torch.tensor([[tok]], device=self.device),
                state,
                torch.tensor([pos + 1 + i], device=self.device),
                s.caches,
            )
            state, logits = nxt.hidden[:, -1:], nxt.logits[0, -1]
        s.mtp_valid = pos + 1
        return draft, (torch.stack(dists) if params.temperature > 0 else None)

    # -- facts -----------------------------------------------------------------------------------

    def kv_cache_bytes(self) -> int:
        return sum(c.nbytes() for s in self.slots for c in s.caches)


def _choose(logits: torch.Tensor, params: GenerationParams, gen: torch.Generator | None) -> int:
    if params.temperature <= 0:
        return int(logits.argmax())
    return int(sample(probabilities(logits, params.temperature, params.top_k, params.top_p), gen))


class _Output:
    """Committed tokens and their text: stop tokens, stop strings, the token limit, and streaming that
    never sends text a stop string may still claim."""

    def __init__(self, tokenizer, stops, max_new, stop_ids, on_text, skip: str = ""):
        self.decoder = StreamDecoder(tokenizer)
        self.skip = skip  # text the first token repeats (token healing): never part of the answer
        self.stops, self.max_new, self.stop_ids, self.on_text = stops, max_new, stop_ids, on_text
        self.ids: list[int] = []
        self.text = ""
        self.streamed = 0
        self.on_commit: Callable[[list[int]], None] | None = None

    def commit(self, tok: int) -> FinishReason | None:
        """Add one token; returns the finish reason when generation must end."""
        if tok in self.stop_ids:
            return "stop"
        self.ids.append(tok)
        if self.on_commit:
            self.on_commit([tok])
        self.text += self.decoder.push([tok])
        if self.skip and len(self.text) >= len(self.skip):
            self.text, self.skip = self.text[len(self.skip) :], ""
        if self.skip:  # still spelling the healed text
            return "length" if len(self.ids) >= self.max_new else None
        cut = _find_stop(self.text, self.stops)
        if cut is not None:
            self.text = self.text[:cut]
            return "stop"
        self._stream(len(self.text) - _held_back(self.text, self.stops))
        return "length" if len(self.ids) >= self.max_new else None

    def flush(self) -> None:
        if self.skip:  # ended before the text covered the healed part: no answer yet
            self.text = ""
        self._stream(len(self.text))

    def _stream(self, upto: int) -> None:
        if self.on_text and upto > self.streamed:
            self.on_text(self.text[self.streamed : upto])
            self.streamed = upto


def _held_back(text: str, stops: tuple[str, ...]) -> int:
    """Length of the longest tail of `text` that could still grow into a stop string."""
    best = 0
    for st in stops:
        for n in range(min(len(st) - 1, len(text)), best, -1):
            if st.startswith(text[-n:]):
                best = n
                break
    return best


def _find_stop(text: str, stops: tuple[str, ...]) -> int | None:
    hits = [i for st in stops if st and (i := text.find(st)) >= 0]
    return min(hits) if hits else None


def resolve_model(model: str) -> Path:
    """'default', a checkpoint directory, or a Hugging Face repo id already in the local cache."""
    if model in ("", "default"):
        directory = DEFAULT_MODEL_DIR
    elif Path(model).expanduser().is_dir():
        directory = Path(model).expanduser()
    elif "/" in model and not Path(model).expanduser().exists():
        try:
            from huggingface_hub import snapshot_download

            directory = Path(snapshot_download(model, local_files_only=True))
        except Exception:
            raise CheckpointError(
                f"model {model!r} is neither a directory nor a Hugging Face repo in the local cache; "
                f"download it first (huggingface-cli download {model}) or pass its directory"
            ) from None
    else:
        raise CheckpointError(
            f"model {model!r} not found: pass 'default', a checkpoint directory or a repo id"
        )
    if not (directory / "config.json").exists():
        raise CheckpointError(f"{directory} has no config.json; is it a checkpoint directory?")
    return directory


def resolve_dtype(dtype: str, device: str) -> torch.dtype:
    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    table = {
        "float32": torch.float32,
        "fp32": torch.float32,
        "bfloat16": torch.bfloat16,
        "bf16": torch.bfloat16,
        "float16": torch.float16,
        "fp16": torch.float16,
    }
    if dtype not in table:
        raise ValueError(f"dtype {dtype!r} is not supported; use auto, float32, bfloat16 or float16")
    return table[dtype]
