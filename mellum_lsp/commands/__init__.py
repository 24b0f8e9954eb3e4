"""The ``mellum-lsp`` subcommands, one module each, registered in :mod:`mellum_lsp.cli`."""
