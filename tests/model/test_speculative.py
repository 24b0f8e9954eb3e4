"""Prompt-lookup drafts: n-grams of the sequence, and an edit's reply followed through its original region.

Each test drives an `NgramIndex` the way the engine does (prompt, then one committed token per step plus
the accepted drafts) against a known reply, and counts what the drafts saved."""

from __future__ import annotations

from model.speculative import NgramIndex


def _drive(index: NgramIndex, reply: list[int], k: int = 8) -> list[tuple[int, int]]:
    """Decode `reply` with drafts verified against it; returns (drafted, accepted) at each step."""
    index.extend(reply[:1])  # the first token comes from the prefill
    done, accepted = 1, []
    while done < len(reply):
        draft = index.propose(k)[: len(reply) - done - 1]
        n_ok = 0
        while n_ok < len(draft) and draft[n_ok] == reply[done + n_ok]:
            n_ok += 1
        index.extend(reply[done : done + n_ok + 1])
        done += n_ok + 1
        accepted.append((len(draft), n_ok))
    return accepted


def _edit(prompt: list[int], region: list[int]) -> NgramIndex:
    index = NgramIndex()
    index.extend(prompt)
    index.follow(region)
    return index


REGION = [10, 11, 12, 50, 13, 14, 15, 50, 16, 17, 18, 19, 50, 20, 21, 22, 23, 24]  # 50: a name used 3 times
PROMPT = [1, 2, *REGION, 3, 4]  # the prompt shows the region, then asks for the rewrite


def test_a_reply_that_copies_the_region_is_drafted_whole() -> None:
    # 17 tokens after the first: 8 drafts and the verified token, then the last 8
    assert _drive(_edit(PROMPT, REGION), REGION) == [(8, 8), (7, 7)]


def test_a_rename_is_carried_forward_after_its_first_occurrence() -> None:
    renamed = [99 if t == 50 else t for t in REGION]
    assert _drive(_edit(PROMPT, REGION), renamed) == [
        (8, 2),  # 11, 12 accepted; the reply wrote 99 where the region has 50
        (8, 3),  # guessed 99 replaced 50: 13, 14, 15 accepted, then 99 again where 50 was
        (8, 8),  # the rename is learnt: drafts say 99 at the name's next use
        (0, 0),  # the last token
    ]


def test_a_rename_into_more_tokens_and_an_inserted_line_are_rejoined() -> None:
    reply = [10, 11, 12, 98, 99, 13, 14, 15, 98, 99, 16, 60, 61, 62, 17, 18, 19, 98, 99, 20, 21, 22, 23, 24]
    assert _drive(_edit(PROMPT, REGION), reply) == [
        (8, 2),  # departs at 98
        (8, 0),  # the one-for-one guess is wrong (99 follows)
        (0, 0),  # lost: no drafts until the reply's tokens place it in the region again
        (8, 5),  # 13 rejoined; 50 -> 98 99 learnt and drafted; departs at the inserted 60
        (8, 0),
        (0, 0),
        (0, 0),  # 17 rejoins after the inserted line
        (8, 8),
    ]


def test_without_a_region_drafts_come_from_the_sequences_own_ngrams() -> None:
    index = NgramIndex()
    index.extend([5, 6, 7, 8, 9, 1, 5, 6])
    assert index.propose(3) == [7, 8, 9]
    index.extend([4])
    assert index.propose(3) == []  # (6, 4) and (4) never occurred before: nothing to copy
