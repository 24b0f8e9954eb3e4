"""``mellum-lsp train``: train the small default checkpoint, resumably, and export it."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("runs/default"),
    show_default=True,
    help="Run directory: tokenizer, config, train_state.pt (resumed from when present), train_log.jsonl.",
)
@click.option("--steps", type=int, default=12300, show_default=True, help="Optimizer steps in the whole run.")
@click.option("--batch", type=int, default=4, show_default=True, help="Sequences per step.")
@click.option("--seq-len", type=int, default=1024, show_default=True, help="Tokens per sequence.")
@click.option("--lr", type=float, default=2e-3, show_default=True, help="Peak learning rate (cosine decay).")
@click.option("--seed", type=int, default=1234, show_default=True, help="Seeds the init and every batch.")
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
@click.option("--threads", type=int, default=0, help="CPU threads for torch (0: torch's default).")
@click.option(
    "--corpus",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Train on the .py files under this directory instead of this Python's standard library.",
)
@click.option(
    "--bf16/--fp32",
    default=True,
    show_default=True,
    help="Autocast matmuls to bf16 where the device computes it natively (fp32 master weights).",
)
@click.option(
    "--mtp-distill-steps",
    type=int,
    default=3000,
    show_default=True,
    help="After --steps: train the MTP layer alone, on the frozen trunk, to draft what the trunk would choose.",
)
@click.option(
    "--export",
    "export_dir",
    type=click.Path(path_type=Path),
    help="After training, write the checkpoint in the released layout here (e.g. model/default).",
)
def train(
    out: Path,
    steps: int,
    batch: int,
    seq_len: int,
    lr: float,
    seed: int,
    device: str,
    threads: int,
    corpus: Path | None,
    bf16: bool,
    mtp_distill_steps: int,
    export_dir: Path | None,
) -> None:
    """Train a small Mellum-architecture MoE (with its MTP layer) on the CPython standard library.

    Builds a byte-level BPE tokenizer with Mellum 2's special tokens, then trains on repository-format
    and fill-in-the-middle examples (SPM and PSM) plus docstring-to-function chat examples. Held-out
    modules are never trained on. Optionally the MTP layer then learns, alone, to draft the trunk's own
    choices. Interrupt at any time; the same command resumes.
    """
    from model.training.export import export
    from model.training.train import TrainSettings
    from model.training.train import train as run

    settings = TrainSettings(
        out=out, steps=steps, batch=batch, seq_len=seq_len, lr=lr, seed=seed, device=device, threads=threads,
        corpus=corpus, bf16=bf16, mtp_distill_steps=mtp_distill_steps,
    )
    state = run(settings)
    if export_dir is not None:
        export(out, state, export_dir)
        click.echo(f"exported to {export_dir}")
