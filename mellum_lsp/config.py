"""One typed configuration, filled layer by layer.

Precedence, lowest first: defaults < ``~/.config/mellum-lsp/config.toml`` (``$XDG_CONFIG_HOME``
honoured) < ``mellum-lsp.toml`` in the workspace root < LSP ``initializationOptions`` <
``workspace/didChangeConfiguration`` < CLI flags. Each layer is validated key by key: a bad value
is reported with its key and what is allowed, and the value that layer held before is kept, so a
typo in the editor's settings never takes the server down or silently resets other keys.

Keys are dotted section names (``completion.debounce_ms``); mappings may be nested tables
(``{"completion": {"debounce_ms": 50}}``) or flat dotted keys, and a top-level ``mellum`` table
(as editors send it) is unwrapped.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

USER_CONFIG_NAME = "config.toml"
WORKSPACE_CONFIG_NAME = "mellum-lsp.toml"


def _range(low: float, high: float) -> dict[str, float]:
    return {"min": low, "max": high}


@dataclass(frozen=True)
class ModelSettings:
    """Which checkpoint runs where."""

    name: str = "default"  # a directory, a Hugging Face repo id in the local cache, or "default"
    device: str = field(default="cpu", metadata={"pattern": r"cpu|auto|mps|cuda(:\d+)?"})
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    backend: Literal["torch"] = "torch"  # in-process PyTorch; other backends register their name here
    slots: int = field(default=2, metadata=_range(2, 8))
    # torch.compile the whole decode step at load: ~4x faster decoding on a CPU, 15-50 s more to load
    compile: Literal["auto", "on", "off"] = "auto"
    # CPU threads for the model (0: torch's default, one per core); 1 keeps latency steady on a busy machine
    threads: int = field(default=0, metadata=_range(0, 256))


@dataclass(frozen=True)
class CompletionSettings:
    """Inline completion: prompt budget, decode length, timing and shape."""

    budget_tokens: int = field(default=2048, metadata=_range(64, 131072))
    max_new_tokens: int = field(default=64, metadata=_range(1, 1024))
    debounce_ms: int = field(default=0, metadata=_range(0, 2000))
    multiline: Literal["auto", "always", "never"] = "auto"
    enable_completion_items: bool = (
        True  # textDocument/completion fallback for clients without inline completion
    )
    fim_mode: Literal["spm", "psm"] = "spm"
    temperature: float = field(default=0.0, metadata=_range(0.0, 2.0))


@dataclass(frozen=True)
class ChatSettings:
    """Chat and explanations: prompt budget and sampling."""

    budget_tokens: int = field(default=8192, metadata=_range(256, 131072))
    max_new_tokens: int = field(default=512, metadata=_range(1, 8192))
    temperature: float = field(default=0.6, metadata=_range(0.0, 2.0))
    top_p: float = field(default=0.95, metadata=_range(0.0, 1.0))
    top_k: int = field(default=20, metadata=_range(0, 1000))


@dataclass(frozen=True)
class EditSettings:
    """Rewrites, diagnostic fixes and next-edit predictions."""

    budget_tokens: int = field(default=4096, metadata=_range(256, 131072))
    max_new_tokens: int = field(default=256, metadata=_range(1, 4096))
    recent_edits: int = field(default=8, metadata=_range(1, 64))  # edits remembered for mellum/nextEdit


@dataclass(frozen=True)
class IndexSettings:
    """The workspace index: what to skip and where to keep its cache."""

    enabled: bool = True
    # gitignore-style patterns, on top of .gitignore and the vendored directories the index always skips
    exclude: tuple[str, ...] = ()
    max_file_size: int = field(default=1_000_000, metadata=_range(1, 100_000_000))  # bytes
    max_files: int = field(default=100_000, metadata=_range(1, 10_000_000))
    cache_dir: str = ""  # empty: $XDG_CACHE_HOME/mellum-lsp (or ~/.cache/mellum-lsp)


@dataclass(frozen=True)
class Settings:
    """Every setting of mellum-lsp; immutable, replaced whole when a layer changes."""

    model: ModelSettings = ModelSettings()
    completion: CompletionSettings = CompletionSettings()
    chat: ChatSettings = ChatSettings()
    edit: EditSettings = EditSettings()
    index: IndexSettings = IndexSettings()
    log_level: Literal["debug", "info", "warning", "error"] = "info"


class Layer(enum.IntEnum):
    """Configuration sources in increasing precedence."""

    USER_FILE = 1
    WORKSPACE_FILE = 2
    INITIALIZATION_OPTIONS = 3
    CLIENT_SETTINGS = 4
    CLI = 5


@dataclass(frozen=True)
class ConfigError:
    """One rejected key: where it came from, which key, what is allowed."""

    source: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.key}: {self.message}" if self.key else f"{where}{self.message}"


@dataclass(frozen=True)
class _Key:
    section: str | None
    name: str
    type: Any
    metadata: Mapping[str, Any]


def _collect_keys() -> dict[str, _Key]:
    keys: dict[str, _Key] = {}
    hints = typing.get_type_hints(Settings)
    for top in dataclasses.fields(Settings):
        if dataclasses.is_dataclass(hints[top.name]):
            section_type = hints[top.name]
            section_hints = typing.get_type_hints(section_type)
            for f in dataclasses.fields(section_type):
                keys[f"{top.name}.{f.name}"] = _Key(top.name, f.name, section_hints[f.name], f.metadata)
        else:
            keys[top.name] = _Key(None, top.name, hints[top.name], top.metadata)
    return keys


KEYS: dict[str, _Key] = _collect_keys()


def _allowed(key: _Key) -> str:
    origin = typing.get_origin(key.type)
    if origin is Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(key.type))
    if "pattern" in key.metadata:
        return f"a string matching {key.metadata['pattern']!r}"
    if key.type is bool:
        return "true or false"
    if origin is tuple:
        return "a list of strings"
    kind = {int: "an integer", float: "a number", str: "a string"}[key.type]
    if "min" in key.metadata:
        return f"{kind} from {key.metadata['min']} to {key.metadata['max']}"
    return kind


def validate_value(dotted: str, value: Any) -> Any:
    """Return ``value`` converted to the key's type, or raise ValueError saying what is allowed."""
    key = KEYS[dotted]
    origin = typing.get_origin(key.type)
    ok: bool
    if origin is Literal:
        ok = value in typing.get_args(key.type)
    elif key.type is bool:
        ok = isinstance(value, bool)
    elif origin is tuple:
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    elif key.type is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif key.type is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, str)
        if ok and "pattern" in key.metadata:
            ok = re.fullmatch(key.metadata["pattern"], value) is not None
    if ok and "min" in key.metadata:
        ok = key.metadata["min"] <= value <= key.metadata["max"]
    if not ok:
        raise ValueError(f"got {value!r}, expected {_allowed(key)}")
    return value


def flatten(values: Mapping[str, Any]) -> dict[str, Any]:
    """Nested tables and dotted keys -> ``{"section.name": value}``; a lone ``mellum`` table is unwrapped."""
    if set(values) == {"mellum"} and isinstance(values["mellum"], Mapping):
        values = values["mellum"]
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, Mapping) and name not in KEYS:
            for sub, subvalue in flatten(value).items():
                flat[f"{name}.{sub}"] = subvalue
        else:
            flat[name] = value
    return flat


def _unknown_key_message(dotted: str) -> str:
    close = difflib.get_close_matches(dotted, list(KEYS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known sections: {', '.join(_sections())}"
    return f"unknown key{hint}"


def _sections() -> list[str]:
    return sorted({k.split(".")[0] for k in KEYS})


class Configuration:
    """Holds each layer's valid values and folds them, in precedence order, into :class:`Settings`."""

    def __init__(self) -> None:
        self._layers: dict[Layer, dict[str, Any]] = {}
        self.settings: Settings = Settings()

    def set_layer(self, layer: Layer, values: Mapping[str, Any], source: str = "") -> list[ConfigError]:
        """Replace one layer; invalid keys keep that layer's previous value. Returns what was rejected."""
        previous = self._layers.get(layer, {})
        accepted: dict[str, Any] = {}
        errors: list[ConfigError] = []
        source = source or layer.name.lower().replace("_", " ")
        for dotted, value in flatten(values).items():
            if dotted not in KEYS:
                errors.append(ConfigError(source, dotted, _unknown_key_message(dotted)))
                continue
            try:
                accepted[dotted] = validate_value(dotted, value)
            except ValueError as exc:
                errors.append(ConfigError(source, dotted, str(exc)))
                if dotted in previous:
                    accepted[dotted] = previous[dotted]
        self._layers[layer] = accepted
        self.settings = self._fold()
        return errors

    def update_layer(self, layer: Layer, values: Mapping[str, Any], source: str = "") -> list[ConfigError]:
        """Merge keys into one layer, leaving its other keys as they are."""
        merged = {**self._layers.get(layer, {}), **flatten(values)}
        return self.set_layer(layer, merged, source)

    def _fold(self) -> Settings:
        merged: dict[str, Any] = {}
        for layer in sorted(self._layers):
            merged.update(self._layers[layer])
        sections: dict[str, dict[str, Any]] = {}
        top: dict[str, Any] = {}
        for dotted, value in merged.items():
            key = KEYS[dotted]
            if key.section is None:
                top[key.name] = value
            else:
                sections.setdefault(key.section, {})[key.name] = value
        settings = Settings()
        for section, changes in sections.items():
            top[section] = dataclasses.replace(getattr(settings, section), **changes)
        return dataclasses.replace(settings, **top)

    def origin(self, dotted: str) -> Layer | None:
        """The highest layer that sets ``dotted`` (None: the default applies)."""
        layers = [layer for layer, values in self._layers.items() if dotted in values]
        return max(layers) if layers else None


def read_toml(path: Path) -> tuple[dict[str, Any], list[ConfigError]]:
    """Parse a TOML file; a missing file is empty, a broken one is one error naming the file."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle), []
    except FileNotFoundError:
        return {}, []
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        return {}, [ConfigError(str(path), "", f"cannot read: {exc}")]


def parse_assignment(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from the command line; VALUE is read as TOML (``50``, ``true``, ``["a"]``) or else as a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"expected KEY=VALUE, got {text!r}")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.strip(), value


def user_config_path(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CONFIG_HOME/mellum-lsp/config.toml``, falling back to ``~/.config``."""
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "mellum-lsp" / USER_CONFIG_NAME


def workspace_config_path(root: Path) -> Path:
    return root / WORKSPACE_CONFIG_NAME


def default_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mellum-lsp"


def load_files(config: Configuration, roots: list[Path]) -> list[ConfigError]:
    """Load the user file, then the workspace files (the first root wins over later ones)."""
    values, errors = read_toml(path := user_config_path())
    errors += config.set_layer(Layer.USER_FILE, values, str(path))
    merged: dict[str, Any] = {}
    sources: list[str] = []
    for root in reversed(roots):
        values, file_errors = read_toml(path := workspace_config_path(root))
        errors += file_errors
        if values:
            merged.update(flatten(values))
            sources.append(str(path))
    errors += config.set_layer(Layer.WORKSPACE_FILE, merged, ", ".join(sources) or WORKSPACE_CONFIG_NAME)
    return errors


def as_dict(settings: Settings) -> dict[str, Any]:
    """The settings as nested plain data (for status output and the README's key table)."""
    return dataclasses.asdict(settings)
