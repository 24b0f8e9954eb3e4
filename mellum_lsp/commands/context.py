"""``mellum-lsp context FILE:LINE:COL``: what the model would be shown at a cursor, and why.

Builds (or reuses from its cache) the workspace index, assembles the completion prompt with the
model's tokenizer and prompt format, and prints every context piece with the retriever that
chose it and its score. It needs the tokenizer only, not the model's weights.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from pathlib import Path

import click

from indexing.context import BudgetTooSmall, assemble_completion_context
from indexing.settings import IndexSettings
from indexing.workspace import WorkspaceIndex
from mellum_lsp.commands.options import build_configuration
from mellum_lsp.locations import LOCATION, Location


def tokenizer_dir(model: str) -> Path:
    """The directory holding the tokenizer of `model`: "default" (the shipped model) or a checkpoint directory."""
    if model == "default":
        import model as model_package

        return Path(model_package.__file__).parent / "default"
    directory = Path(model).expanduser()
    if not (directory / "tokenizer.json").is_file():
        raise click.BadParameter(
            f"{model} is not a checkpoint directory with a tokenizer.json", param_hint="--model"
        )
    return directory


@click.command()
@click.argument("location", type=LOCATION)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The workspace to index (default: the file's directory).",
)
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    help="Prompt budget in tokens (default: completion.budget_tokens).",
)
@click.option(
    "--model", help="Whose tokenizer and prompt format to use: 'default' or a checkpoint directory."
)
@click.option(
    "--set", "assignments", multiple=True, metavar="KEY=VALUE", help="Any configuration key (repeatable)."
)
@click.option("--json", "as_json", is_flag=True, help="Print {prompt, prompt_tokens, pieces} as JSON.")
def context(
    location: Location,
    root: Path | None,
    budget: int | None,
    model: str | None,
    assignments: tuple[str, ...],
    as_json: bool,
) -> None:
    """Show the prompt and context pieces for a completion at FILE:LINE:COL (1-based)."""
    from model.prompts import fim_prompt
    from model.tokenizer import Tokenizer, TokenizerError

    if not location.path.is_file():
        raise click.BadParameter(f"{location.path} is not a file", param_hint="FILE:LINE:COL")
    try:
        text = location.path.read_text(encoding="utf-8")
        offset = location.offset_in(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.BadParameter(str(exc), param_hint="FILE:LINE:COL") from None
    root = (root or location.path.parent).resolve()
    settings = build_configuration([root], {"model": model, "assignments": assignments}).settings
    try:
        tokenizer = Tokenizer.from_dir(tokenizer_dir(settings.model.name))
    except TokenizerError as exc:
        raise click.ClickException(str(exc)) from None
    options = settings.index
    index = WorkspaceIndex(
        [root],
        IndexSettings(
            exclude=options.exclude, max_file_bytes=options.max_file_size, max_files=options.max_files
        ),
        cache_dir=Path(options.cache_dir) if options.cache_dir else None,
        log=logging.getLogger("indexing"),
    )
    try:
        index.build()
        index.update_document(location.path, text)
        assembled = assemble_completion_context(
            index,
            location.path,
            text,
            offset,
            budget=budget or settings.completion.budget_tokens,
            tokenizer=tokenizer,
            formatter=partial(fim_prompt, mode=settings.completion.fim_mode),
        )
    except BudgetTooSmall as exc:
        raise click.BadParameter(str(exc), param_hint="--budget") from None
    finally:
        index.close()
    build = index.stats()["last_build"]
    click.echo(
        f"[indexed {index.stats()['files']} files in {build['seconds']} s: "
        f"{build['parsed']} parsed, {build['reused']} from cache]",
        err=True,
    )
    pieces = [p.summary() for p in assembled.pieces]
    if as_json:
        payload = {"prompt": assembled.prompt, "prompt_tokens": assembled.prompt_tokens, "pieces": pieces}
        click.echo(json.dumps(payload, indent=2))
        return
    for piece in pieces:
        click.echo(
            f"{piece['tokens']:>6}  {piece['path']}:{piece['start_line']}-{piece['end_line']}  {piece['reason']}"
        )
    click.echo(f"{assembled.prompt_tokens:>6}  prompt tokens in all\n")
    click.echo(assembled.prompt)
