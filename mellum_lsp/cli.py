"""The ``mellum-lsp`` command: a click group, one subcommand per capability, each in its own module."""

from __future__ import annotations

import sys
from typing import Any

import click

from mellum_lsp import __version__
from mellum_lsp.commands.bench import bench
from mellum_lsp.commands.chat import chat
from mellum_lsp.commands.complete import complete
from mellum_lsp.commands.context import context
from mellum_lsp.commands.model_tools import check, evaluate, info
from mellum_lsp.commands.serve import serve
from mellum_lsp.commands.train import train


class OneLineErrors(click.Group):
    """Report a wrong flag, value or configuration key as one line on stderr, with a non-zero status."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("mellum-lsp: aborted", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            click.echo(f"mellum-lsp: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mellum-lsp")
def main() -> None:
    """mellum-lsp: a language server hosting a Mellum code model in-process, and its tools."""


main.add_command(serve)
main.add_command(complete)
main.add_command(chat)
main.add_command(context)
main.add_command(info)
main.add_command(check)
main.add_command(evaluate)
main.add_command(train)
main.add_command(bench)
