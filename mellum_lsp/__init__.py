"""mellum-lsp: a language server hosting a Mellum 2 class code model in-process."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mellum-lsp")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
