"""The Helix snippet parses as TOML, and what it sends the server is valid server configuration."""

from __future__ import annotations

import tomllib
from pathlib import Path

from mellum_lsp.config import Configuration, Layer

SNIPPET = Path(__file__).parents[2] / "editors" / "helix" / "languages.toml"

# Helix's names for what `only-features` may select (helix-lsp LanguageServerFeature).
HELIX_FEATURES = {
    "format",
    "goto-definition",
    "goto-declaration",
    "goto-type-definition",
    "goto-reference",
    "goto-implementation",
    "signature-help",
    "hover",
    "document-highlight",
    "completion",
    "code-action",
    "workspace-command",
    "document-symbols",
    "workspace-symbols",
    "diagnostics",
    "rename-symbol",
    "inlay-hints",
}


def load() -> dict:
    with SNIPPET.open("rb") as handle:
        return tomllib.load(handle)


def test_server_definition_starts_mellum_lsp_serve() -> None:
    server = load()["language-server"]["mellum"]
    assert server["command"] == "mellum-lsp"
    assert server["args"] == ["serve"]
    assert server["timeout"] >= 30


def test_config_is_accepted_by_the_server_configuration() -> None:
    config = Configuration()
    errors = config.set_layer(Layer.INITIALIZATION_OPTIONS, load()["language-server"]["mellum"]["config"])
    assert errors == []
    assert config.settings.completion.max_new_tokens == 48


def test_each_language_keeps_other_servers_and_adds_mellum_for_supported_features() -> None:
    languages = load()["language"]
    assert {lang["name"] for lang in languages} >= {"python", "rust", "typescript", "go"}
    for lang in languages:
        entries = lang["language-servers"]
        mellum = [e for e in entries if isinstance(e, dict) and e["name"] == "mellum"]
        assert len(mellum) == 1, lang["name"]
        assert set(mellum[0]["only-features"]) <= HELIX_FEATURES
        assert {"completion", "code-action"} <= set(mellum[0]["only-features"])
        others = [e for e in entries if e is not mellum[0]]
        assert others, f"{lang['name']} would lose its usual language server"
