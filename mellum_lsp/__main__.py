"""``python -m mellum_lsp`` runs the ``mellum-lsp`` command."""

from mellum_lsp.cli import main

main()
