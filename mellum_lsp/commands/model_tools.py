"""``mellum-lsp info``, ``check`` and ``eval``: what a checkpoint is, whether it is right, how good it is."""

from __future__ import annotations

import json
import random
from pathlib import Path

import click

from model.config import ConfigError
from model.weights import CheckpointError

MODEL_HELP = (
    "A checkpoint directory, a Hugging Face repo id in the local cache, or 'default' (the shipped model)."
)


def _resolve(model: str) -> Path:
    from model.engine import resolve_model

    try:
        return resolve_model(model)
    except CheckpointError as e:
        raise click.ClickException(str(e)) from None


def _human(n: int) -> str:
    return f"{n / 1e9:.2f}B" if n >= 1e9 else f"{n / 1e6:.1f}M"


@click.command()
@click.argument("model", default="default")
@click.option("--json", "as_json", is_flag=True, help="Print the full description as JSON.")
def info(model: str, as_json: bool) -> None:
    """Describe MODEL (or a config.json file) from its config alone, no weights needed: sizes, total and active parameters,
    layer and RoPE types, MTP, special tokens, KV-cache size."""
    from model.inspect import describe

    try:
        report = describe(Path(model) if Path(model).is_file() else _resolve(model))
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{report['architecture']} at {report['path']}")
    click.echo(
        f"  parameters: {_human(report['total_params'])} total, {_human(report['active_params'])} active per token"
    )
    click.echo(
        f"  {report['num_hidden_layers']} layers, hidden {report['hidden_size']}, "
        f"{report['num_attention_heads']} query / {report['num_key_value_heads']} KV heads of {report['head_dim']}"
    )
    click.echo(
        f"  experts: {report['experts']} ({report['experts_per_token']} per token, FFN {report['expert_ffn']})"
    )
    sliding = report["layer_types"].count("sliding_attention")
    click.echo(
        f"  attention: {sliding} sliding (window {report['sliding_window']}), "
        f"{len(report['layer_types']) - sliding} full; RoPE "
        + ", ".join(f"{k}: {v['rope_type']} theta {v['rope_theta']:g}" for k, v in report["rope"].items())
    )
    click.echo(
        f"  MTP layers: {report['mtp_layers']} (weights {'present' if report['mtp_weights_present'] else 'absent'})"
    )
    click.echo(
        "  KV cache (bf16, one sequence): "
        + ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in report["kv_cache_bytes_bf16"].items())
    )


@click.command()
@click.argument("model")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--prompt-tokens", type=int, help="Prompt length (default: the sliding window + 64).")
def check(model: str, as_json: bool, prompt_tokens: int | None) -> None:
    """Verify MODEL against transformers' MellumForCausalLM on the same files, in fp32 on the CPU.

    Compares logits at every position, 64 greedy tokens, MTP and prompt-lookup speculative output
    against plain greedy, and logits after prefix reuse and rollback against a cold run. Exits
    non-zero on any mismatch."""
    from model.check import check as run_check

    try:
        report = run_check(_resolve(model), prompt_tokens=prompt_tokens)
    except (ConfigError, CheckpointError) as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            click.echo(f"{key}: {value}")
    if not report["ok"]:
        raise SystemExit(1)


@click.group(name="eval")
def evaluate() -> None:
    """Measure a model on your own code."""


@evaluate.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--samples", type=int, default=1000, show_default=True, help="Cursor positions to sample.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the sampling of positions.")
@click.option("--model", default="default", show_default=True, help=MODEL_HELP)
@click.option("--glob", "pattern", default="**/*.py", show_default=True, help="Which files under DIRECTORY.")
@click.option(
    "--held-out",
    is_flag=True,
    help="Only the standard-library modules the default model never trained on (DIRECTORY = the stdlib).",
)
@click.option("--show", type=int, default=0, help="Also print this many sampled completions.")
@click.option(
    "--examples",
    "examples_out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write every sample (path, prefix tail, target, completion, baseline) to this JSON-lines file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def lines(
    directory: Path,
    samples: int,
    seed: int,
    model: str,
    pattern: str,
    held_out: bool,
    show: int,
    examples_out: Path | None,
    as_json: bool,
) -> None:
    """Complete the rest of the line at SAMPLES random positions in real files under DIRECTORY.

    Prints exact match and edit similarity of the model and of a baseline that needs no training (it
    copies what followed the longest matching text earlier in the file), perplexity of the true line,
    the MTP draft acceptance during greedy decoding, and how well the model copies from its context (its
    loss on a block of the file's code and on the same block shown again)."""
    from tqdm import tqdm

    from model.engine import Engine
    from model.evaluate import evaluate_lines, sample_positions
    from model.training.corpus import is_held_out

    files = [f for f in directory.glob(pattern) if f.is_file()]
    if held_out:
        files = [f for f in files if is_held_out(f.relative_to(directory).as_posix())]
    if not files:
        raise click.ClickException(f"no files match {pattern} under {directory}")
    try:
        engine = Engine.load(model, slots=1)
    except (ConfigError, CheckpointError) as e:
        raise click.ClickException(str(e)) from None
    chosen = sample_positions(files, directory, samples, seed)
    bar = tqdm(total=len(chosen), desc="eval", unit="line", disable=as_json)
    report = evaluate_lines(engine, chosen, directory.name, progress=lambda k: bar.update(1))
    bar.close()
    examples = report.pop("examples")
    if examples_out is not None:
        examples_out.write_text("".join(json.dumps(e) + "\n" for e in examples))
    if show:
        picks = random.Random(seed).sample(range(len(examples)), min(show, len(examples)))
        report["shown"] = [examples[i] for i in sorted(picks)]
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            if key != "shown":
                click.echo(f"{key}: {value}")
