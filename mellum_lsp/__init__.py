"""mellum-lsp: a language server hosting a Mellum 2 class code model in-process."""
