"""``mellum-lsp chat "QUESTION"``: one streamed answer about a repository, through the server's chat code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mellum_lsp.commands.console import one_line_errors, open_session
from mellum_lsp.commands.options import build_configuration, settings_options
from mellum_lsp.features.chat import ChatFeature


@click.command()
@click.argument("question")
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The repository the question is about (indexed for context).",
)
@settings_options
def chat(question: str, root: Path, **settings: Any) -> None:
    """Ask QUESTION about the repository at --root; the answer streams to stdout, figures to stderr."""
    session = open_session(root, build_configuration([root], settings))
    with one_line_errors(session):
        job = ChatFeature(session).start(
            [{"role": "user", "content": question}], on_delta=lambda d: click.echo(d, nl=False)
        )
        result = job.future.result()
    click.echo()
    click.echo(
        f"[{result.finish_reason}; {result.prompt_tokens} prompt tokens, {result.new_tokens} new tokens, "
        f"first token {result.ttft_s * 1000:.0f} ms, total {result.total_s:.2f} s]",
        err=True,
    )
    sys.stdout.flush()
