"""The training loop for the default model: next-token loss, MTP next-next-token loss, load balancing.

Resumable: model, optimizer and step are saved every `save_every` steps (atomically), and batches are a
pure function of (seed, step), so an interrupted run continues exactly where it stopped.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..config import ModelConfig
from ..modeling import Mellum, init_weights
from ..tokenizer import Tokenizer
from .corpus import load_sources
from .examples import ExampleBuilder
from .tokenizer_train import train_tokenizer, write_tokenizer_files

MTP_LOSS_WEIGHT = 0.1  # as the Mellum 2 report weights its auxiliary next-next-token loss


def default_architecture(vocab_size: int) -> dict:
    """A ~17M-parameter Mellum: the released layout at a size a 2-core CPU can teach in a few hours."""
    n_layers = 8
    return {
        "model_type": "mellum",
        "vocab_size": vocab_size,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_hidden_layers": n_layers,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 64,
        "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": False,
        "sliding_window": 512,
        "layer_types": ["full_attention" if i % 4 == 3 else "sliding_attention" for i in range(n_layers)],
        "mlp_layer_types": ["sparse"] * n_layers,
        "rope_parameters": {
            "full_attention": {
                "rope_type": "yarn",
                "rope_theta": 500000.0,
                "factor": 4.0,
                "original_max_position_embeddings": 2048,
                "beta_fast": 32.0,
                "beta_slow": 1.0,
            },
            "sliding_attention": {"rope_type": "default", "rope_theta": 500000.0},
        },
        "num_local_experts": 16,
        "num_experts_per_tok": 4,
        "moe_intermediate_size": 96,
        "norm_topk_prob": True,
        "router_aux_loss_coef": 0.01,
        "num_nextn_predict_layers": 1,
        "bos_token_id": 0,
        "eos_token_id": 0,
        "pad_token_id": 0,
    }


M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # glibc's mallopt parameters (malloc.h)


@dataclass
class TrainSettings:
    out: Path
    steps: int = 12300  # what made the shipped weights
    batch: int = 4
    seq_len: int = 1024
    lr: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.1
    vocab_size: int = 8192
    seed: int = 1234
    save_every: int = 50
    device: str = "cpu"
    threads: int = 0  # 0: torch's default
    corpus: Path | None = None  # source tree to train on; None: this Python's standard library
    bf16: bool = True  # bf16 autocast (fp32 master weights) where the device computes bf16 natively
    mtp_distill_steps: int = 3000  # then: the MTP layer alone, taught the trunk's own predictions (0: none)
    mtp_distill_lr: float = 3e-4  # the MTP layer ended the first phase near this; 1e-3 set it back


@dataclass
class Phase:
    """One resumable stretch of a run: its own state and log files, schedule, objective and trained parameters."""

    name: str  # names the state file (`<name>_state.pt`), the log (`<name>_log.jsonl`) and the progress bar
    steps: int
    lr: float
    warmup: int
    first_batch: int  # batches are those of run steps first_batch + step, so a later phase sees new text
    objective: Callable[[Mellum, torch.Tensor], dict[str, torch.Tensor]]
    loss: Callable[[dict[str, torch.Tensor]], torch.Tensor]
    only_mtp: bool = False  # train the MTP layer alone; the trunk, its embeddings and LM head stay as they are

    def state_file(self, out: Path) -> Path:
        return out / f"{self.name}_state.pt"


def autocast_dtype(device: str) -> torch.dtype | None:
    """bf16 where matmuls run natively in it (CUDA, CPUs with AVX512-BF16 or AMX: ~1.35x here), else None."""
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if _cpu_has_bf16() else None


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def lr_at(step: int, phase: Phase, min_lr_ratio: float) -> float:
    if step < phase.warmup:
        return phase.lr * (step + 1) / phase.warmup
    progress = (step - phase.warmup) / max(1, phase.steps - phase.warmup)
    return phase.lr * (min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def load_balancing_loss(router_logits: list[torch.Tensor], top_k: int) -> torch.Tensor:
    """Switch-style auxiliary loss: E * sum_e (share of tokens routed to e) * (mean router prob of e)."""
    total = torch.zeros(())
    for logits in router_logits:
        probs = torch.softmax(logits.float(), dim=-1)  # [N, E]
        n_experts = probs.shape[-1]
        chosen = torch.topk(probs, top_k, dim=-1).indices
        share = torch.zeros(n_experts).scatter_add_(0, chosen.reshape(-1), torch.ones(chosen.numel())) / probs.shape[0]
        total = total + n_experts * (share * probs.mean(0)).sum()
    return total / max(1, len(router_logits))


def losses(model: Mellum, batch: torch.Tensor) -> dict[str, torch.Tensor]:
    """batch [B, T+1] -> next-token, MTP (token t+2 from state t and token t+1) and balancing losses."""
    inputs, targets = batch[:, :-1], batch[:, 1:]
    t = inputs.shape[1]
    positions = torch.arange(t, device=batch.device)
    out = model(inputs, positions)
    lm = F.cross_entropy(out.logits.flatten(0, 1).float(), targets.flatten())
    router = list(out.router_logits)
    result = {"lm": lm}
    if model.mtp_layer is not None:
        mtp = model.mtp_forward(inputs[:, 1:], out.hidden[:, :-1], positions[1:])
        result["mtp"] = F.cross_entropy(mtp.logits.flatten(0, 1).float(), targets[:, 1:].flatten())
        router += mtp.router_logits
    result["balance"] = load_balancing_loss(router, model.cfg.num_experts_per_tok)
    return result


def mtp_distill_losses(model: Mellum, batch: torch.Tensor, answers: torch.Tensor) -> dict[str, torch.Tensor]:
    """The MTP layer's draft for token t+2 against the frozen trunk's own distribution for it (KL), which
    is what greedy speculative decoding accepts, rather than against the text, which the trunk often does
    not predict. Only where drafts are made: token t+1 and t+2 in an answer (`answers`, [B, T+1]). Also
    reports the MTP loss on the text there and the share of drafts that the trunk agrees with."""
    inputs, targets = batch[:, :-1], batch[:, 1:]
    length = inputs.shape[1]
    positions = torch.arange(length, device=batch.device)
    drafted = (answers[:, 1:-1] & answers[:, 2:]).flatten()
    if not drafted.any():
        drafted = torch.ones_like(drafted)
    # Logits only where drafts are made (a few percent of positions): the 8,192-way head over every
    # position was nearly half of a step's time.
    with torch.no_grad():
        out = model(inputs, positions, logits_from=length)
        teacher = F.log_softmax(model.lm_head(out.hidden[:, 1:].flatten(0, 1)[drafted]).float(), dim=-1)  # at t+1
    mtp = model.mtp_forward(inputs[:, 1:], out.hidden[:, :-1], positions[1:], logits_from=length - 1)
    student = F.log_softmax(model.lm_head(mtp.hidden.flatten(0, 1)[drafted]).float(), dim=-1)
    return {
        "kl": F.kl_div(student, teacher, log_target=True, reduction="batchmean"),
        "mtp": F.nll_loss(student.detach(), targets[:, 1:].flatten()[drafted]),
        "agree": (student.detach().argmax(-1) == teacher.argmax(-1)).float().mean(),
        "balance": load_balancing_loss(mtp.router_logits, model.cfg.num_experts_per_tok),
    }


def _atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def prepare(s: TrainSettings) -> tuple[Tokenizer, ModelConfig]:
    """Tokenizer and config for the run, made once and reused on resume."""
    s.out.mkdir(parents=True, exist_ok=True)
    if not (s.out / "tokenizer.json").exists():
        tok = train_tokenizer((f.text for f in load_sources(s.corpus)), s.vocab_size)
        write_tokenizer_files(tok, s.out, model_max_length=8192)
    tokenizer = Tokenizer.from_dir(s.out)
    if not (s.out / "config.json").exists():
        ModelConfig.from_dict(default_architecture(tokenizer.vocab_size)).save(s.out)
    return tokenizer, ModelConfig.from_file(s.out)


def phases(s: TrainSettings, cfg: ModelConfig, builder: ExampleBuilder) -> list[Phase]:
    """The whole model first; then, if asked and the model has one, the MTP layer alone on the frozen trunk."""

    def distill(model: Mellum, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        answers = torch.tensor([builder.answers(row) for row in batch.tolist()], device=batch.device)
        return mtp_distill_losses(model, batch, answers)

    plan = [
        Phase("train", s.steps, s.lr, s.warmup, 0, losses,
              lambda p: p["lm"] + MTP_LOSS_WEIGHT * p.get("mtp", 0.0) + cfg.router_aux_loss_coef * p["balance"])
    ]
    if s.mtp_distill_steps and cfg.num_mtp_layers:
        plan.append(Phase("mtp_distill", s.mtp_distill_steps, s.mtp_distill_lr, min(s.warmup, s.mtp_distill_steps),
                          s.steps, distill, lambda p: p["kl"] + cfg.router_aux_loss_coef * p["balance"],
                          only_mtp=True))
    return plan


def keep_freed_memory() -> None:
    """Have glibc keep freed memory for reuse instead of handing it back to the kernel. A training step
    frees and reallocates tensors of 100+ MB (logits over the vocabulary, their gradients); glibc maps each
    afresh, and the kernel faults in and zeroes every page, which took 0.7 s of a 2.4 s CPU step. Kept,
    a step runs 1.4x faster for ~1 GB more resident memory. Without glibc this does nothing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_MMAP_MAX, 0)  # large blocks from the heap, which is reused, not from new mappings
    libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1)  # and the heap's free top is kept, not trimmed


def train(s: TrainSettings) -> Path:
    """Run (or resume) every phase of training; returns the path of the last phase's state file."""
    if s.threads:
        torch.set_num_threads(s.threads)
    keep_freed_memory()
    tokenizer, cfg = prepare(s)
    builder = ExampleBuilder(load_sources(s.corpus), tokenizer)
    previous: Path | None = None
    for phase in phases(s, cfg, builder):
        previous = _run_phase(s, cfg, builder, phase, previous)
    assert previous is not None
    return previous


def _run_phase(s: TrainSettings, cfg: ModelConfig, builder: ExampleBuilder, phase: Phase, init: Path | None) -> Path:
    """Train one phase from the previous phase's final weights (a fresh init for the first), resumably."""
    torch.manual_seed(s.seed)
    model = Mellum(cfg)
    init_weights(model)
    init_step = None
    if init is not None:
        start = torch.load(init, map_location="cpu", weights_only=False)
        model.load_state_dict(start["model"])
        init_step = start["step"]
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("mtp.") or not phase.only_mtp)
    model.to(s.device)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": [p for n, p in params if p.dim() >= 2 and "embed" not in n], "weight_decay": s.weight_decay},
         {"params": [p for n, p in params if p.dim() < 2 or "embed" in n], "weight_decay": 0.0}],
        lr=phase.lr,
        betas=(0.9, 0.95),
    )
    state_file = phase.state_file(s.out)
    log_file = s.out / f"{phase.name}_log.jsonl"
    step = 0
    if state_file.exists():
        state = torch.load(state_file, map_location=s.device, weights_only=False)
        if state.get("init_step") == init_step:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            step = state["step"]
        else:  # the previous phase trained on since: this one starts again from its new weights
            tqdm.write(f"{phase.name}: the previous phase is now at step {init_step}, not "
                       f"{state.get('init_step')}; starting {phase.name} again")
            log_file.unlink(missing_ok=True)
    amp = autocast_dtype(s.device) if s.bf16 else None
    model.train()
    with log_file.open("a") as log, tqdm(
        total=phase.steps, initial=step, desc=phase.name, unit="step", dynamic_ncols=True
    ) as bar:
        while step < phase.steps:
            rng = random.Random(s.seed * 1_000_003 + phase.first_batch + step)
            batch = torch.tensor([builder.sequence(rng, s.seq_len + 1) for _ in range(s.batch)], device=s.device)
            for group in opt.param_groups:
                group["lr"] = lr_at(step, phase, s.min_lr_ratio)
            t0 = time.perf_counter()
            with torch.autocast(s.device.split(":")[0], dtype=amp or torch.float32, enabled=amp is not None):
                parts = phase.objective(model, batch)
            loss = phase.loss(parts)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for _, p in params], 1.0)
            opt.step()
            step += 1
            elapsed = time.perf_counter() - t0
            record = {k: round(v.item(), 4) for k, v in parts.items()}
            record.update(step=step, lr=round(lr_at(step - 1, phase, s.min_lr_ratio), 6),
                          tok_per_s=round(batch.numel() / elapsed))
            log.write(json.dumps(record) + "\n")
            log.flush()
            bar.set_postfix({k: record[k] for k in ("lm", "kl", "mtp", "tok_per_s") if k in record})
            bar.update(1)
            if step % s.save_every == 0 or step == phase.steps:
                _atomic_save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                              "init_step": init_step, "settings": {k: str(v) for k, v in asdict(s).items()}},
                             state_file)
    return state_file
