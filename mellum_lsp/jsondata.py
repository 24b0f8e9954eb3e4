"""Plain JSON data from what pygls hands over for custom methods and results (nested named tuples)."""

from __future__ import annotations

from typing import Any


def plain(value: Any) -> Any:
    """Named tuples become dicts, tuples become lists, recursively; everything else is left as is."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value
