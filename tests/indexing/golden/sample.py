# ruff: noqa
# fmt: off
"""A module with one of everything the Python query should find."""

import os.path
import json as js
from collections import OrderedDict, deque as dq
from . import sibling
from ..pkg.sub import thing
from typing import *

MAX_ITEMS = 10
first, second = 1, 2


class Cache(OrderedDict):
    """An LRU cache."""

    capacity = 4

    def __init__(self, capacity: int = 4) -> None:
        super().__init__()
        self.capacity = capacity

    @property
    def full(self) -> bool:
        return len(self) >= self.capacity


def load(path: str,
         default: dict | None = None) -> dict:
    with open(path) as handle:
        return js.load(handle)


async def fetch(url):
    def inner():
        return url

    return inner()
