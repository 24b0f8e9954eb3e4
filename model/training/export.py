"""Write a trained run as a checkpoint in the released on-disk layout, with its model card."""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path

import torch

from ..config import ModelConfig
from ..modeling import Mellum
from ..weights import save_model
from .corpus import HELD_OUT
from .examples import Mix

CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
GENERATION_CONFIG = {"eos_token_id": 0, "pad_token_id": 0, "do_sample": False, "temperature": 0.6, "top_p": 0.95,
                     "top_k": 20, "max_new_tokens": 128}


def export(run_dir: Path, state_file: Path, target: Path, *, shard_bytes: int = 20_000_000) -> None:
    cfg = ModelConfig.from_file(run_dir)
    model = Mellum(cfg)
    state = torch.load(state_file, map_location="cpu", weights_only=False)
    model.load_state_dict(state["model"])
    if target.exists():
        for f in target.glob("model*.safetensors*"):
            f.unlink()
    save_model(model, target, dtype=torch.bfloat16, shard_bytes=shard_bytes)
    shutil.copy(run_dir / "tokenizer.json", target / "tokenizer.json")
    tok_cfg = json.loads((run_dir / "tokenizer_config.json").read_text())
    tok_cfg["chat_template"] = CHATML_TEMPLATE
    (target / "tokenizer_config.json").write_text(json.dumps(tok_cfg, indent=2) + "\n")
    (target / "generation_config.json").write_text(json.dumps(GENERATION_CONFIG, indent=2) + "\n")
    # a later phase's state (the MTP distillation) names the step of the trunk it started from
    distilled = state.get("init_step") is not None
    steps = state["init_step"] if distilled else state["step"]
    last = _last_records(run_dir / "train_log.jsonl", steps)
    card = CARD.format(
        steps=f"{steps:,}",
        tokens=steps * int(state["settings"]["batch"]) * int(state["settings"]["seq_len"]),
        total=sum(p.numel() for p in model.parameters()),
        active=model.param_counts()[1],
        lm=sum(r["lm"] for r in last) / len(last),
        mtp=sum(r.get("mtp", 0) for r in last) / len(last),
        held_out=", ".join(HELD_OUT),
        settings=json.dumps(state["settings"], indent=2),
        python=platform.python_version(),
        library=Mix().library,
        fim=Mix().fim,
        chat=Mix().chat,
        rewrite=Mix().rewrite,
        repeat=Mix().repeat,
        short_fim=Mix().short_fim,
        history=_history(run_dir),
        distillation=_distillation(run_dir, state["step"]) if distilled else "",
    )
    (target / "README.md").write_text(card)


def _last_records(log: Path, step: int, n: int = 20) -> list[dict]:
    """The log's records of the `n` steps up to `step` (a resumed run logs again the steps after its last save)."""
    records = {r["step"]: r for r in map(json.loads, log.read_text().splitlines()) if r["step"] <= step}
    return [records[k] for k in sorted(records)[-n:]]


def _distillation(run_dir: Path, steps: int) -> str:
    last = _last_records(run_dir / "mtp_distill_log.jsonl", steps)
    kl, agree = (sum(r[k] for r in last) / len(last) for k in ("kl", "agree"))
    return (
        f"- Then {steps:,} steps of MTP self-distillation: the trunk frozen, the MTP layer taught the trunk's own\n"
        "  distribution for the token after next (KL divergence) where the server has drafts made (FIM middles,\n"
        "  chat replies), on text the first phase did not draw: greedy speculative decoding accepts a draft when\n"
        f"  it is the trunk's choice, right or wrong. Last 20 steps: KL {kl:.3f}; the MTP layer's top token was the\n"
        f"  trunk's at {agree:.1%} of those positions.\n"
    )


def _history(run_dir: Path) -> str:
    """The run's own account of how it went (`HISTORY.md` in the run directory): phases, resumes with
    changed settings or code. A card must say how its weights were made, not how they could have been."""
    notes = run_dir / HISTORY_FILE
    return "\n" + notes.read_text().strip() + "\n" if notes.exists() else ""


HISTORY_FILE = "HISTORY.md"

CARD = """# mellum-lsp default model

A small Mellum-architecture Mixture-of-Experts code model, trained from scratch by `mellum-lsp train` so that
the language server answers real completions on a machine with no model hub. It is a demonstration-sized
model: it completes Python lines and small blocks in the style of the standard library, and it shows the
whole Mellum 2 stack working end to end (MoE routing, sliding-window and YaRN layers, FIM prompts with
repository context, and a trained MTP head for speculative decoding). For real work, point the server at a
released Mellum 2 checkpoint.

## Architecture

Same config class, keys, tensor names and on-disk layout as Mellum 2 (`MellumForCausalLM`): {total:,}
parameters, {active:,} active per token; 8 layers (sliding window of 512 on 3 of every 4, YaRN on the full
layers), 4 query heads and 2 KV heads with q/k RMSNorm, 16 experts with 4 routed per token (renormalised
top-k, load-balancing loss), one MTP layer. Weights in bfloat16, sharded safetensors with one tensor per
expert. Tokenizer: byte-level BPE with 8,192 entries, digits split, and Mellum 2's added tokens at Mellum 2's
ids (0-32).

## Training

- Data: the CPython {python} standard library sources that ship with Python (PSF License 2.0), as
  repository-format examples (`<reponame>`, `<filename>` blocks with several files of one package; {library:.0%}
  of them from library code, the rest from test suites), {fim:.0%} of them fill-in-the-middle in SPM and PSM
  order (most middles the rest of a line from a cursor after the indentation, as an editor asks), plus
  {chat:.0%} chat examples in ChatML: {rewrite:.0%} of them rewrites of a function (renamed throughout, its
  docstring removed, or kept as is) asked in the server's own words, the rest docstring to function,
  {repeat:.0%} copying drills (lines of code drawn at random, then repeated from a random line on), and
  {short_fim:.0%} short FIM examples (a few hundred characters around a cursor, no other files), many to a
  sequence, for the middle's first token.
- Held out, never trained on: {held_out}.
- Objective: next-token cross-entropy + 0.1 x MTP next-next-token cross-entropy + load balancing.
- {steps} steps, {tokens:,} tokens, AdamW with cosine decay, on 2 CPU cores with bf16 autocast where the CPU
  has it (see the settings below).
- Final training loss (mean of the last 20 steps): next token {lm:.3f}, MTP {mtp:.3f}.
{distillation}
Reproduce: `mellum-lsp train --out runs/default --export model/default` (resumes if interrupted).
{history}
```json
{settings}
```

## License

The weights are released under the Apache License 2.0, like the rest of mellum-lsp. The training data is
the Python standard library, under the Python Software Foundation License Version 2.

## Evaluation
"""
