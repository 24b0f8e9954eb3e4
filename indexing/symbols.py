"""What the index knows about one file: definitions, imports and the identifiers it uses.

These records are plain frozen data so they can be cached on disk (as JSON) and compared: an
index updated incrementally must equal one built fresh.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

CONTAINER_KINDS = frozenset({"class", "interface", "enum", "impl", "module"})


@dataclass(frozen=True, slots=True)
class Definition:
    """A named definition; lines are 0-based and inclusive."""

    name: str
    kind: str  # function, method, class, interface, enum, type, constant, field, module, macro, impl
    start_line: int
    end_line: int
    signature: str  # the declaration up to its body
    container: str  # the enclosing class/module name, "" at top level

    @property
    def qualified_name(self) -> str:
        return f"{self.container}.{self.name}" if self.container else self.name


@dataclass(frozen=True, slots=True)
class Import:
    """One imported binding: `from module import name as alias` in every language's terms.

    `name` is "" when the module itself is bound (to `alias`, or to its last part), "*" for a
    wildcard import and "default" for a JavaScript default import.
    """

    module: str
    name: str
    alias: str
    line: int

    def bound_name(self, language: str) -> str:
        """The identifier this import introduces into a file of `language` ("" for none)."""
        if self.alias:
            return self.alias
        if self.name == "*":
            return ""
        if self.name:
            return self.name.rsplit(".", 1)[-1]
        if language == "python":  # `import os.path` binds `os`
            return self.module.split(".", 1)[0]
        if language == "go":
            return self.module.rsplit("/", 1)[-1]
        return ""


@dataclass(frozen=True, slots=True)
class FileSymbols:
    language: str
    definitions: tuple[Definition, ...]
    imports: tuple[Import, ...]
    identifiers: frozenset[str]
    line_count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "definitions": [
                [d.name, d.kind, d.start_line, d.end_line, d.signature, d.container] for d in self.definitions
            ],
            "imports": [[i.module, i.name, i.alias, i.line] for i in self.imports],
            "identifiers": sorted(self.identifiers),
            "line_count": self.line_count,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileSymbols:
        return cls(
            language=data["language"],
            definitions=tuple(Definition(*row) for row in data["definitions"]),
            imports=tuple(Import(*row) for row in data["imports"]),
            identifiers=frozenset(map(sys.intern, data["identifiers"])),  # shared across files
            line_count=data["line_count"],
        )
