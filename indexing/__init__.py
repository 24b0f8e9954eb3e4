"""Tree-sitter parsing, the workspace index, retrieval and prompt assembly under a token budget."""
