"""Every tuning number of retrieval and packing, in one place.

A candidate snippet's score is its source's weight times a factor in [0, 1] that the source
computes (how near the cursor its symbol is, how similar the window is, how recent the file).
Weights rank sources against each other; the packer takes the highest scores first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RankingWeights:
    # Source weights.
    definition_imported: float = 1.0  # a symbol near the cursor, resolved through the file's imports
    definition_local: float = 0.9  # defined in this file, outside the part the prompt shows
    scope: float = 0.85  # headers of the functions/classes enclosing the cursor
    imports: float = 0.8  # this file's import block, when the prefix no longer shows it
    definition_by_name: float = 0.7  # a symbol near the cursor, found by its name alone
    similar: float = 0.6  # a window of code like the text around the cursor
    imported_name: float = 0.5  # names this file imports but does not use near the cursor
    recent: float = 0.45  # the best window of a recently edited or open document
    body_factor: float = 0.6  # a definition's body relative to its signature

    # Proximity: a symbol `d` lines from the cursor gets 1 / (1 + d / proximity_lines).
    proximity_lines: float = 8.0
    near_lines_before: int = 30
    near_lines_after: int = 8

    # By-name resolution: names with more definitions than this are too generic to follow.
    max_name_candidates: int = 6
    related_file_boost: float = 1.25  # by-name hit in a file this one imports, or in its directory

    # Definition snippets.
    body_lines: int = 40  # a definition's body is cut to this many lines
    max_imported_names: int = 40

    # Similar code.
    similar_files: int = 6  # candidate files picked by BM25 before windows are compared
    similar_windows: int = 16  # low scorers only fill what the better sources leave
    similar_min_jaccard: float = 0.12
    similar_full_jaccard: float = 0.5  # Jaccard at which the similarity factor reaches 1
    query_lines_before: int = 15
    query_lines_after: int = 3
    recent_files: int = 5
    recent_decay: float = 0.8

    # Chat retrieval.
    chat_symbol: float = 1.0
    chat_plain_word_factor: float = 0.4  # a lowercase word that names a definition may be just English
    chat_word: float = 0.6
    chat_similar: float = 0.5
    chat_selection: float = 1.2
    chat_open_file: float = 0.9
    chat_max_word_hits: int = 30


@dataclass(frozen=True)
class PackingShares:
    """How a completion budget is split between the FIM prefix, the suffix and context."""

    prefix: float = 0.4
    suffix: float = 0.15
    max_prefix_tokens: int = 8192
    max_suffix_tokens: int = 2048
    # The kept prefix starts, and the kept suffix ends, on a multiple of this many lines, so
    # that typing does not shift them and consecutive prompts share their longest prefix.
    line_snap: int = 8
    # Score buckets: pieces are ordered by bucket (most relevant last), then by path and line,
    # so small score changes between keystrokes do not reorder the prompt.
    tiers: tuple[float, ...] = (0.5, 0.8)


WEIGHTS = RankingWeights()
SHARES = PackingShares()
