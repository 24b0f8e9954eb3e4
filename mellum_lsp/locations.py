"""``FILE:LINE:COL`` as compilers print it (1-based), for the CLI commands that take a cursor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click


@dataclass(frozen=True)
class Location:
    """A cursor in a file: ``line`` and ``column`` are 1-based, the column counts characters."""

    path: Path
    line: int
    column: int

    def offset_in(self, text: str) -> int:
        """The character offset of this cursor in ``text``; raises ValueError when it lies outside."""
        lines = text.split("\n")
        if self.line > len(lines):
            raise ValueError(f"{self}: the file has {len(lines)} lines")
        row = lines[self.line - 1]
        if self.column > len(row) + 1:
            raise ValueError(f"{self}: line {self.line} has {len(row)} characters")
        return sum(len(r) + 1 for r in lines[: self.line - 1]) + self.column - 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


def parse_location(text: str) -> Location:
    """Parse ``FILE:LINE:COL`` (the file name may itself contain colons); raises ValueError."""
    path, sep1, rest = text.rpartition(":")
    path, sep2, line = path.rpartition(":")
    if not (sep1 and sep2 and path):
        raise ValueError(f"expected FILE:LINE:COL, got {text!r}")
    try:
        line_no, column = int(line), int(rest)
    except ValueError:
        raise ValueError(f"expected FILE:LINE:COL with numbers for LINE and COL, got {text!r}") from None
    if line_no < 1 or column < 1:
        raise ValueError(f"LINE and COL are 1-based, got {text!r}")
    return Location(Path(path), line_no, column)


class LocationType(click.ParamType):
    """A click parameter for ``FILE:LINE:COL``."""

    name = "FILE:LINE:COL"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Location:
        if isinstance(value, Location):
            return value
        try:
            return parse_location(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


LOCATION = LocationType()
