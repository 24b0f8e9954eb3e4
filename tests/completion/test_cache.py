"""The completion cache: exact hits, typed-through hits, misses, LRU bound."""

from __future__ import annotations

from mellum_lsp.completion.cache import CompletionCache

URI = "file:///repo/app.py"
PREFIX = "def area(r):\n    return "
SUFFIX = "\n\nprint(area(2))\n"


def test_exact_hit_and_miss() -> None:
    cache = CompletionCache()
    cache.put(URI, PREFIX, SUFFIX, "3.14 * r * r")
    assert cache.get(URI, PREFIX, SUFFIX) == "3.14 * r * r"
    assert cache.get(URI, PREFIX, SUFFIX + "x") is None
    assert cache.get("file:///repo/other.py", PREFIX, SUFFIX) is None


def test_typing_into_the_suggestion_returns_the_rest() -> None:
    cache = CompletionCache()
    cache.put(URI, PREFIX, SUFFIX, "3.14 * r * r")
    assert cache.get(URI, PREFIX + "3", SUFFIX) == ".14 * r * r"
    assert cache.get(URI, PREFIX + "3.14 * r", SUFFIX) == " * r"
    assert cache.get(URI, PREFIX + "3.15", SUFFIX) is None


def test_typing_the_whole_suggestion_leaves_no_entry() -> None:
    cache = CompletionCache()
    cache.put(URI, PREFIX, SUFFIX, "r")
    assert cache.get(URI, PREFIX + "r", SUFFIX) is None


def test_non_ascii_text_forwards_by_character() -> None:
    cache = CompletionCache()
    cache.put(URI, 'label = "', '"\n', "héllo 🙂 wörld")
    assert cache.get(URI, 'label = "héllo 🙂', '"\n') == " wörld"


def test_empty_result_is_remembered() -> None:
    cache = CompletionCache()
    cache.put(URI, PREFIX, SUFFIX, "")
    assert cache.get(URI, PREFIX, SUFFIX) == ""


def test_forwarding_is_bounded() -> None:
    cache = CompletionCache(max_forward=3)
    cache.put(URI, PREFIX, SUFFIX, "abcdef")
    assert cache.get(URI, PREFIX + "abc", SUFFIX) == "def"
    assert cache.get(URI, PREFIX + "abcd", SUFFIX) is None
    assert len(cache) == 4


def test_least_recently_used_goes_first() -> None:
    cache = CompletionCache(max_entries=2, max_forward=0)
    cache.put(URI, "a", "", "1")
    cache.put(URI, "b", "", "2")
    assert cache.get(URI, "a", "") == "1"  # now "b" is the least recently used
    cache.put(URI, "c", "", "3")
    assert cache.get(URI, "b", "") is None
    assert cache.get(URI, "a", "") == "1"
    assert cache.get(URI, "c", "") == "3"


def test_forget_one_document() -> None:
    cache = CompletionCache()
    cache.put(URI, PREFIX, SUFFIX, "x")
    cache.put("file:///repo/b.py", PREFIX, SUFFIX, "y")
    cache.forget(URI)
    assert cache.get(URI, PREFIX, SUFFIX) is None
    assert cache.get("file:///repo/b.py", PREFIX, SUFFIX) == "y"
