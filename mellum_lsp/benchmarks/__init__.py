"""Benchmarks run by `mellum-lsp bench ...`: each prints figures measured in one run, as JSON."""
