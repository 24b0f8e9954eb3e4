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
@click.option(
    "--real-config-on",
    "real_config_device",
    metavar="DEVICE",
    help="Only measure the released 12B config with random weights on DEVICE (cuda, cuda:1, ...).",
)
@click.option(
    "--peak-bandwidth",
    type=float,
    help="The device's memory bandwidth in GB/s from its data sheet (H200: 4800), for the decode ceiling.",
)
def bench_model(model: str, repeats: int, real_config_device: str | None, peak_bandwidth: float | None) -> None:
    """Decode and prefill tokens/s vs transformers (prompts of 100 and 2,000 tokens, 64 new tokens) on the
    checkpoint and on a random config of the same size; MTP and prompt-lookup speculative decoding vs plain
    decoding (identical output); time to first token after a keystroke at the end of a 4,000-token prompt
    vs cold; KV-cache memory of the real 12B config; where CUDA is present, the real 12B config with random
    bf16 weights on the GPU (decode at batch 1 and a 4,096-token prefill, against the bandwidth ceiling).
    Prints JSON."""
    from model.benchmark import DeviceRefused, real_config_on_device, run

    peak = peak_bandwidth * 1e9 if peak_bandwidth else None
    progress = lambda s: click.echo(f"[bench] {s}", err=True)  # noqa: E731
    try:
        if real_config_device:
            progress(f"the real 12B config on {real_config_device}")
            report = real_config_on_device(real_config_device, repeats=repeats, peak_bandwidth=peak)
        else:
            report = run(model, repeats=repeats, progress=progress, peak_bandwidth=peak)
    except DeviceRefused as e:
        raise click.ClickException(str(e)) from None
    click.echo(json.dumps(report, indent=2))
