"""`bench model`: this engine against transformers on the same checkpoint, and against itself.

Every figure is a ratio of two runs in the same process, interleaved and repeated (median), because the
machines are shared and noisy; absolute numbers are printed beside them for scale.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from .check import _prompt
from .config import ModelConfig
from .engine import Engine, GenerationParams, resolve_dtype
from .inspect import kv_cache_bytes
from .modeling import Mellum
from .prompts import chat_prompt, code_reply_opening, fim_prompt, rewrite_request
from .random_checkpoint import DEFAULT_DIR, random_model, tiny_config, write_random_checkpoint
from .tokenizer import Tokenizer

NEW_TOKENS = 64


class DeviceRefused(Exception):
    """The device cannot run the asked-for benchmark: it is absent, or the weights do not fit on it."""

MTP_DRAFT_LENGTHS = (1, 2, 3)  # MTP drafts per step: the engine's default (2) is reported as "mtp"
# The released 12B config (no weights): for memory figures and `info` without a download.
REAL_CONFIG = Path(__file__).with_name("configs") / "mellum2-12b-a2.5b.json"


def _median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _plain(engine: Engine, ids: list[int], draft: str = "none", **kw) -> Any:
    engine.slots[0].truncate(0)  # cold: no reuse between repeats
    return engine.generate(ids, GenerationParams(max_new_tokens=NEW_TOKENS, draft=draft, **kw))  # type: ignore[arg-type]


def decode_vs_transformers(directory: Path, prompt_lengths=(100, 2000), repeats: int = 3) -> dict[str, Any]:
    """Decode tokens/s at batch 1 after prompts of each length; prefill tokens/s too."""
    from transformers import MellumForCausalLM

    engine = Engine.load(str(directory), slots=1, compile="auto")  # as the server runs it
    engine.stop_ids = frozenset()  # always decode the full 64 tokens, as generate(min_new_tokens) does
    hf = MellumForCausalLM.from_pretrained(str(directory), dtype=torch.float32).eval()
    out: dict[str, Any] = {}
    for n in prompt_lengths:
        ids = _prompt(engine.tokenizer, n)
        x = torch.tensor([ids])

        def hf_gen(k: int, x: torch.Tensor = x) -> Any:
            with torch.inference_mode():
                return hf.generate(x, max_new_tokens=k, min_new_tokens=k, do_sample=False, pad_token_id=0)

        hf_gen(2)  # warm-up
        _plain(engine, ids)
        hf_prefill, _ = _median_time(lambda: hf_gen(1), repeats)
        hf_total, _ = _median_time(lambda: hf_gen(NEW_TOKENS), repeats)
        ours_runs = [_plain(engine, ids) for _ in range(repeats)]
        ours = statistics.median(r.total_s - r.ttft_s for r in ours_runs)
        ours_prefill = statistics.median(r.ttft_s for r in ours_runs)
        hf_decode_tps = (NEW_TOKENS - 1) / max(1e-9, hf_total - hf_prefill)
        ours_tps = (NEW_TOKENS - 1) / ours
        with engine.model.eager():
            eager_runs = [_plain(engine, ids) for _ in range(repeats)]
        eager_tps = (NEW_TOKENS - 1) / statistics.median(r.total_s - r.ttft_s for r in eager_runs)
        mtp = None
        if engine.has_mtp:
            runs = [_plain(engine, ids, draft="mtp") for _ in range(repeats)]
            r = runs[0]
            mtp_tps = (NEW_TOKENS - 1) / statistics.median(x.total_s - x.ttft_s for x in runs)
            mtp = {"tok_s": round(mtp_tps, 1), "vs_transformers": round(mtp_tps / hf_decode_tps, 2),
                   "identical_output": r.token_ids == ours_runs[0].token_ids,
                   "acceptance": round(r.acceptance_rate, 3)}
        out[f"prompt_{n}"] = {
            "transformers_decode_tok_s": round(hf_decode_tps, 1),
            "engine_decode_tok_s": round(ours_tps, 1),
            "decode_speedup": round(ours_tps / hf_decode_tps, 2),
            "engine_eager_decode_tok_s": round(eager_tps, 1),
            "compiled_vs_eager": round(ours_tps / eager_tps, 2),
            "transformers_prefill_tok_s": round(n / hf_prefill, 1),
            "engine_prefill_tok_s": round(n / ours_prefill, 1),
            "prefill_speedup": round(hf_prefill / ours_prefill, 2),
            "engine_with_mtp": mtp,
        }
    return out


def speculative_vs_plain(directory: Path, repeats: int = 3) -> dict[str, Any]:
    """MTP drafting on completion prompts, and prompt lookup on an edit, each against plain decoding."""
    engine = Engine.load(str(directory), slots=1, compile="auto")
    source = Path(__file__).with_name("engine.py").read_text()
    report: dict[str, Any] = {}
    if engine.has_mtp:
        prompts = [engine.tokenizer.encode(fim_prompt(repo="model", files=(), path="engine.py",
                                                      prefix=source[: k], suffix=""))[-1500:]
                   for k in (3000, 6000, 9000)]
        plain = [min((_plain(engine, p) for _ in range(repeats)), key=lambda r: r.total_s) for p in prompts]
        for k in MTP_DRAFT_LENGTHS:
            spec = [min((_plain(engine, p, draft="mtp", draft_tokens=k) for _ in range(repeats)),
                        key=lambda r: r.total_s) for p in prompts]
            report["mtp" if k == engine.mtp_draft_tokens else f"mtp_{k}_drafts"] = _compare(plain, spec)
    # An edit, asked as the server's rewrite asks it: rename a local throughout a method. Drafts come from
    # the original region.
    start, end = source.index("    def reusable_prefix"), source.index("\n\n    def truncate")
    messages = rewrite_request(path="model/engine.py", text=source, start=start, end=end, context_chars=1800,
                               instruction="Rename `common` to `shared`.")
    ids = engine.tokenizer.encode(chat_prompt(messages) + code_reply_opening("model/engine.py"))
    plain = [min((_plain(engine, ids) for _ in range(repeats)), key=lambda r: r.total_s)]
    spec = [min((_plain(engine, ids, draft="lookup", lookup_text=source[start:end]) for _ in range(repeats)),
                key=lambda r: r.total_s)]
    report["lookup_edit"] = _compare(plain, spec)
    # what the engine measured at load, and what draft="auto" weighs against the tokens per step above
    report["drafting_step_cost_in_plain_steps"] = {src: round(c, 2) for src, c in engine.draft_policy.cost.items()}
    return report


def _compare(plain: list, spec: list) -> dict[str, Any]:
    plain_s = sum(r.total_s - r.ttft_s for r in plain)
    spec_s = sum(r.total_s - r.ttft_s for r in spec)
    proposed = sum(r.draft_proposed for r in spec)
    return {
        "speedup": round(plain_s / spec_s, 2),
        "identical_output": all(a.token_ids == b.token_ids for a, b in zip(plain, spec, strict=True)),
        "acceptance": round(sum(r.draft_accepted for r in spec) / proposed, 3) if proposed else 0.0,
        "tokens_per_step": round(sum(r.new_tokens for r in spec) / max(1, sum(r.decode_steps for r in spec)), 2),
        "plain_decode_tok_s": round(sum(r.new_tokens for r in plain) / plain_s, 1),
    }


def ttft_after_keystroke(directory: Path, prompt_tokens: int = 4000, repeats: int = 3) -> dict[str, Any]:
    """Time to first token after a one-character change at the end of a long prompt, vs the same prompt cold."""
    engine = Engine.load(str(directory), slots=1, compile="auto")
    ids = _prompt(engine.tokenizer, prompt_tokens)
    text = engine.tokenizer.decode(ids)
    params = GenerationParams(max_new_tokens=1, draft="none")
    cold, warm = [], []
    for i in range(repeats):
        engine.slots[0].truncate(0)
        cold.append(engine.generate(text, params).ttft_s)
        warm_result = engine.generate(text + "abcdefgh"[i], params)
        warm.append(warm_result.ttft_s)
    return {"prompt_tokens": len(ids), "cold_ms": round(1000 * statistics.median(cold), 1),
            "after_keystroke_ms": round(1000 * statistics.median(warm), 1),
            "speedup": round(statistics.median(cold) / statistics.median(warm), 1),
            "cached_tokens": warm_result.cached_tokens}


def kv_memory_real_config() -> dict[str, Any]:
    cfg = ModelConfig.from_file(REAL_CONFIG)
    full_only = {f"{n // 1024}K": round(n * 2 * cfg.num_key_value_heads * cfg.head_dim * 2 * cfg.num_hidden_layers / 2**20)
                 for n in (8192, 32768, 131072)}
    return {
        "bf16_MiB": {f"{n // 1024}K": round(kv_cache_bytes(cfg, n) / 2**20) for n in (8192, 32768, 131072)},
        "if_every_layer_were_full_MiB": full_only,
    }


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def copy_bandwidth(device: str, nbytes: int, repeats: int = 5) -> float:
    """Bytes per second that one device-to-device copy moves (each byte read once and written once): the
    memory bandwidth this process can reach, to set a decode ceiling measured in the same run."""
    src = torch.empty(nbytes // 4, dtype=torch.float32, device=device)
    dst = torch.empty_like(src)
    dst.copy_(src)
    _sync(device)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        dst.copy_(src)
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * src.nbytes / best


def real_config_on_device(
    device: str,
    *,
    cfg: ModelConfig | None = None,
    prompt_tokens: int = 4096,
    new_tokens: int = NEW_TOKENS,
    repeats: int = 3,
    peak_bandwidth: float | None = None,
    copy_bytes: int = 2**30,
) -> dict[str, Any]:
    """The released 12B config (or `cfg`) with random weights on `device` (bf16 on CUDA): prefill tokens/s
    for a `prompt_tokens` prompt and batch-1 decode tokens/s, eager and with the compiled steps, against
    the bandwidth ceiling. A batch-1 decode step reads every active weight once, so no engine decodes
    faster than bandwidth / (active parameters x bytes each); `peak_bandwidth` (bytes/s, the data sheet's)
    and a copy measured here give two ceilings. The steps are the engine's own: its chunked prefill, then
    one trunk call and a greedy choice per token."""
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceRefused(f"{device} was asked for, but this PyTorch sees no CUDA device")
    cfg = cfg or ModelConfig.from_file(REAL_CONFIG)
    dtype = resolve_dtype("auto", device)
    with torch.device("meta"):
        shape = Mellum(cfg)
    total, active = shape.param_counts()
    _refuse_if_it_does_not_fit(device, sum(p.numel() for p in shape.parameters()) * dtype.itemsize)
    model = random_model(cfg, device=device, dtype=dtype)
    engine = Engine(model, Tokenizer.from_dir(DEFAULT_DIR), slots=1, context=prompt_tokens + new_tokens + 1)
    gen = torch.Generator().manual_seed(0)
    prompt = torch.randint(len(engine.tokenizer.special), cfg.vocab_size, (prompt_tokens,), generator=gen).tolist()
    slot = engine.slots[0]

    def prefill() -> torch.Tensor:
        slot.truncate(0)
        logits = engine.next_logits(prompt)
        _sync(device)
        return logits

    def decode() -> None:
        slot.truncate(len(prompt))
        token = first
        for _ in range(new_tokens):
            position = len(slot.tokens)
            out = engine.model(torch.tensor([[token]], device=device),
                               torch.arange(position, position + 1, device=device), slot.caches)
            slot.tokens.append(token)
            token = int(out.logits[0, -1].argmax())

    prefill_s, logits = _median_time(prefill, repeats)
    first = int(logits.argmax())
    bytes_per_token = active * dtype.itemsize
    bandwidth = copy_bandwidth(device, copy_bytes)
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name(device) if device.startswith("cuda") else device,
        "dtype": str(dtype).removeprefix("torch."),
        "total_params": total,
        "active_params": active,
        "prompt_tokens": prompt_tokens,
        "prefill_tok_s": round(prompt_tokens / prefill_s, 1),
        "copy_bandwidth_GB_s": round(bandwidth / 1e9, 1),
        "ceiling_tok_s_measured_copy": round(bandwidth / bytes_per_token, 1),
    }
    if peak_bandwidth:
        report["ceiling_tok_s_peak"] = round(peak_bandwidth / bytes_per_token, 1)

    def measured() -> dict[str, Any]:
        decode()  # warm-up (compiles, when compiled)
        seconds, _ = _median_time(decode, repeats)
        tok_s = new_tokens / seconds
        out = {"decode_tok_s": round(tok_s, 1), "of_ceiling_measured_copy": round(tok_s * bytes_per_token / bandwidth, 3)}
        if peak_bandwidth:
            out["of_ceiling_peak"] = round(tok_s * bytes_per_token / peak_bandwidth, 3)
        return out

    report["eager"] = measured()
    try:
        engine.model.compile_steps()
        report["compiled"] = measured()
    except Exception as exc:  # torch raises many kinds (BackendCompilerFailed, ...); the eager figure stands
        report["compiled"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    finally:
        engine.model.compile_steps(enabled=False)
    return report


def _refuse_if_it_does_not_fit(device: str, nbytes: int) -> None:
    if device.startswith("cuda"):
        free = torch.cuda.mem_get_info(device)[0]
    else:  # what the kernel could give without swapping, page cache included
        meminfo = Path("/proc/meminfo")
        lines = meminfo.read_text().splitlines() if meminfo.exists() else []
        kib = [int(line.split()[1]) for line in lines if line.startswith("MemAvailable:")]
        free = kib[0] * 1024 if kib else os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    if nbytes > free:
        raise DeviceRefused(f"the weights need {nbytes / 2**30:.1f} GiB and {device} has {free / 2**30:.1f} GiB free; "
                          "run this on an accelerator that holds them (--real-config-on cuda)")


def run(model: str, repeats: int = 3, progress: Callable[[str], None] = lambda s: None,
        peak_bandwidth: float | None = None) -> dict[str, Any]:
    from .engine import resolve_model

    report: dict[str, Any] = {"threads": torch.get_num_threads()}
    directory = resolve_model(model)
    with tempfile.TemporaryDirectory() as tmp:
        tiny = write_random_checkpoint(Path(tmp), tiny_config(8192, hidden_size=256, num_hidden_layers=8,
                                       layer_types=["sliding_attention"] * 3 + ["full_attention"] + ["sliding_attention"] * 3 + ["full_attention"],
                                       mlp_layer_types=["sparse"] * 8, sliding_window=256, num_local_experts=16,
                                       num_experts_per_tok=4, moe_intermediate_size=96, head_dim=64),
                                       tokenizer_dir=directory, dtype=torch.bfloat16)
        progress("decode vs transformers (random tiny config)")
        report["random_config"] = decode_vs_transformers(tiny, repeats=repeats)
    progress("decode vs transformers (default checkpoint)")
    report["checkpoint"] = decode_vs_transformers(directory, repeats=repeats)
    progress("speculative decoding vs plain")
    report["speculative"] = speculative_vs_plain(directory, repeats=repeats)
    progress("time to first token after a keystroke")
    report["ttft_keystroke"] = ttft_after_keystroke(directory, repeats=repeats)
    report["kv_cache_real_config"] = kv_memory_real_config()
    if torch.cuda.is_available():
        progress("the real 12B config on the GPU")
        report["real_config_cuda"] = real_config_on_device("cuda", repeats=repeats, peak_bandwidth=peak_bandwidth)
    return report
