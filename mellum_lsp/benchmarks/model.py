"""``mellum-lsp bench model``: the engine against transformers and against itself, as ratios from one run."""

from __future__ import annotations

import json

import click


@click.command(name="model")
@click.option(
    "--model",
    default="default",
    show_default=True,
    help="A checkpoint directory, a Hugging Face repo id in the local cache, or 'default'.",
)
@click.option("--repeats", type=int, default=3, show_default=True, help="Runs per measurement (median).")
def bench_model(model: str, repeats: int) -> None:
    """Decode and prefill tokens/s vs transformers (prompts of 100 and 2,000 tokens, 64 new tokens) on the
    checkpoint and on a random config of the same size; MTP and prompt-lookup speculative decoding vs plain
    decoding (identical output); time to first token after a keystroke at the end of a 4,000-token prompt
    vs cold; KV-cache memory of the real 12B config. Prints JSON."""
    from model.benchmark import run

    report = run(model, repeats=repeats, progress=lambda s: click.echo(f"[bench] {s}", err=True))
    click.echo(json.dumps(report, indent=2))
