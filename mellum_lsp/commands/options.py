"""Options every model-using subcommand shares, and the configuration they build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from mellum_lsp import logs
from mellum_lsp.config import Configuration, Layer, load_files, parse_assignment

F = TypeVar("F", bound=Callable[..., Any])


def settings_options(fn: F) -> F:
    """Add ``--model/--device/--dtype/--log-level/--set``, collected into the ``settings`` argument."""
    options = [
        click.option(
            "--set",
            "assignments",
            multiple=True,
            metavar="KEY=VALUE",
            help="Any configuration key, e.g. --set completion.debounce_ms=50 (repeatable; highest precedence).",
        ),
        click.option(
            "--log-level",
            type=click.Choice(sorted(logs.LEVELS)),
            help="Log level for stderr (and the client's log in server mode).",
        ),
        click.option("--dtype", help="Model dtype: auto (bf16 on CUDA; fp32 math on a CPU), float32, bfloat16 or float16."),
        click.option("--device", help="Where the model runs: cpu, cuda, cuda:N, mps or auto."),
        click.option(
            "--model",
            help="A checkpoint directory, a Hugging Face repo id in the local cache, or 'default' (the shipped model).",
        ),
    ]
    for option in options:
        fn = option(fn)
    return fn


def build_configuration(roots: list[Path], cli_values: dict[str, Any]) -> Configuration:
    """Files for ``roots``, then the CLI flags; any rejected key ends the command with a one-line reason."""
    config = Configuration()
    errors = load_files(config, roots)
    flags: dict[str, Any] = {}
    for flag, key in (("model", "model.name"), ("device", "model.device"), ("dtype", "model.dtype")):
        if cli_values.get(flag) is not None:
            flags[key] = cli_values[flag]
    if cli_values.get("log_level") is not None:
        flags["log_level"] = cli_values["log_level"]
    for assignment in cli_values.get("assignments", ()):
        try:
            key, value = parse_assignment(assignment)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--set") from None
        flags[key] = value
    errors += config.set_layer(Layer.CLI, flags, "command line")
    if errors:
        raise click.ClickException("; ".join(str(e) for e in errors))
    logs.configure(config.settings.log_level)
    return config
