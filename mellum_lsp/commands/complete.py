"""``mellum-lsp complete FILE:LINE:COL``: one inline completion from the terminal, through the server's feature."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click

from mellum_lsp.commands.console import document_for, one_line_errors, open_session
from mellum_lsp.commands.options import build_configuration, settings_options
from mellum_lsp.completion.request import CompletionRequest
from mellum_lsp.features.inline_completion import InlineCompletionFeature
from mellum_lsp.locations import LOCATION, Location


@click.command()
@click.argument("location", type=LOCATION)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The repository to take context from (default: the file's directory).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the suggestion and its timings as JSON.")
@settings_options
def complete(location: Location, root: Path | None, as_json: bool, **settings: Any) -> None:
    """Complete at FILE:LINE:COL (1-based, as compilers print it) and print the suggestion."""
    if not location.path.is_file():
        raise click.BadParameter(f"{location.path} is not a file", param_hint="FILE:LINE:COL")
    try:
        location.offset_in(location.path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.BadParameter(str(exc), param_hint="FILE:LINE:COL") from None
    root = root or location.path.resolve().parent
    session = open_session(root, build_configuration([root], settings), one_request=True)
    with one_line_errors(session):
        document = document_for(session, location.path)
        offset = location.offset_in(document.source)
        session.wait_for_model()
        session.engine()  # a missing model is an error here, not an empty suggestion
        request = CompletionRequest(
            uri=document.uri, path=location.path.resolve(), text=document.source, offset=offset, invoked=True
        )
        suggestion = asyncio.run(InlineCompletionFeature(session).suggest(request))
    if as_json:
        payload = {
            "text": suggestion.text if suggestion else "",
            **(suggestion.details() if suggestion else {}),
        }
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(suggestion.text if suggestion else "")
    if suggestion is not None:
        details = suggestion.details()
        click.echo(
            f"[{details['latency_ms']} ms; {details['prompt_tokens']} prompt tokens "
            f"({details['cached_tokens']} cached), {details['new_tokens']} new tokens]",
            err=True,
        )
    else:
        click.echo("[no suggestion at this position]", err=True)
