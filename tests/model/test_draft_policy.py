"""Drafting only while it pays: the policy's bookkeeping, and the engine following it."""

from __future__ import annotations

from model.draft_policy import DraftPolicy
from model.engine import Engine, GenerationParams

PROMPT = "def total(values):\n    result = 0\n    for value in values:\n        result += value\n    return result\n"


def test_drafts_until_measured_evidence_says_it_loses():
    policy = DraftPolicy(probe_every=4)
    assert policy.pays("mtp")  # no cost measured: an eager engine keeps drafting
    policy.cost["mtp"] = 2.5
    assert policy.pays("mtp")  # no evidence yet
    policy.observe("mtp", 2.2)
    assert [policy.pays("mtp") for _ in range(8)] == [False, False, False, True] * 2  # probes every 4th
    for _ in range(10):
        policy.observe("mtp", 2.9)  # the text got repetitive: drafting pays again
    assert policy.tokens_per_step["mtp"] > 2.5 and policy.pays("mtp")


def test_the_average_leans_on_recent_requests():
    policy = DraftPolicy()
    policy.observe("lookup", 1.0)
    policy.observe("lookup", 5.0)
    assert 1.0 < policy.tokens_per_step["lookup"] < 3.0


def test_engine_measures_costs_and_auto_skips_drafts_that_lose(tiny_checkpoint):
    engine = Engine.load(str(tiny_checkpoint), slots=1, compile="on")
    assert set(engine.draft_policy.cost) == {"mtp", "lookup"}
    assert all(cost > 0 for cost in engine.draft_policy.cost.values())
    engine.draft_policy.cost["mtp"] = 100.0  # a machine where drafting never pays
    engine.draft_policy.observe("mtp", 2.0)
    auto = engine.generate(PROMPT, GenerationParams(max_new_tokens=12))
    assert auto.draft_source == "none" and auto.draft_proposed == 0
    explicit = engine.generate(PROMPT, GenerationParams(max_new_tokens=12, draft="mtp"))
    assert explicit.draft_source == "mtp" and explicit.draft_proposed > 0
    assert explicit.token_ids == auto.token_ids  # greedy either way
    edit = engine.generate(PROMPT, GenerationParams(max_new_tokens=12, lookup_text=PROMPT))
    assert edit.draft_source == "lookup"  # an edit drafts from its text: no evidence against lookup yet
