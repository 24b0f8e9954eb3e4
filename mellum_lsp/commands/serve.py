"""``mellum-lsp serve``: the language server over stdio (default) or TCP."""

from __future__ import annotations

import sys
from typing import Any

import click

from mellum_lsp.commands.options import build_configuration, settings_options


@click.command()
@click.option("--tcp", is_flag=True, help="Listen on TCP instead of talking over stdin/stdout.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="TCP address to bind (loopback unless told otherwise).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=2087, show_default=True, help="TCP port.")
@settings_options
def serve(tcp: bool, host: str, port: int, **settings: Any) -> None:
    """Run the language server (stdio by default; logs go to stderr, never stdout)."""
    config = build_configuration([], settings)
    from mellum_lsp.server import create_server  # after the flags are checked: pygls takes a moment to import

    server = create_server(config)
    if tcp:
        server.start_tcp(host, port)
    else:
        protocol_out = sys.stdout.buffer
        sys.stdout = sys.stderr  # a stray print() in any library must not corrupt the LSP stream
        server.start_io(sys.stdin.buffer, protocol_out)
    code = server.exit_code
    sys.exit(1 if code is None else code)
