"""Features: plain classes holding the logic behind each LSP method; the server fans out to them."""
