"""Inline completion: choosing the shape of a suggestion, post-processing it, caching and debouncing.

The modules here are plain Python with no LSP types, so the language server feature and the
`mellum-lsp complete` command share them.
"""
