"""What the user and the client are told: log forwarding, load failures, acceptance and latency figures."""

from __future__ import annotations

import logging

from lsprotocol import types

from mellum_lsp import logs
from mellum_lsp.session import describe_load_failure
from mellum_lsp.stats import Stats, percentile


def test_client_log_handler_maps_levels_and_never_recurses():
    sent: list[types.LogMessageParams] = []
    logger = logging.getLogger("mellum_lsp.test_reporting")

    def send(params: types.LogMessageParams) -> None:
        sent.append(params)
        logger.warning("sending %s", params.message)  # would loop forever without the guard

    handler = logs.ClientLogHandler(send)
    logs.attach_client(handler)
    logs.set_level("info")
    try:
        logger.debug("hidden")
        logger.info("hello")
        logger.error("broken")
    finally:
        logs.detach_client(handler)
    assert [(p.type, p.message) for p in sent] == [
        (types.MessageType.Info, "mellum_lsp.test_reporting: hello"),
        (types.MessageType.Error, "mellum_lsp.test_reporting: broken"),
    ]


def test_the_log_level_applies_to_our_loggers_only():
    logs.set_level("debug")
    assert logging.getLogger("mellum_lsp.anything").isEnabledFor(logging.DEBUG)
    logs.set_level("warning")
    assert not logging.getLogger("indexing").isEnabledFor(logging.INFO)
    assert logging.getLogger("model").isEnabledFor(logging.WARNING)
    logs.set_level("info")


class OutOfMemoryError(RuntimeError):
    """Named like torch's, which the message must recognise without importing torch."""


def test_load_failures_say_what_to_do():
    assert describe_load_failure("m", MemoryError()).startswith("Out of memory loading model 'm'")
    assert "choose a smaller model" in describe_load_failure("m", OutOfMemoryError("CUDA out of memory"))
    assert describe_load_failure("m", FileNotFoundError("no such dir")).startswith("Model not found")
    assert (
        describe_load_failure("m", ValueError("bad dtype"))
        == "Model 'm' failed to load: ValueError: bad dtype"
    )


def test_acceptance_counts_each_item_once():
    stats = Stats()
    for event, item in [("shown", "a"), ("shown", "a"), ("shown", "b"), ("accepted", "a"), ("rejected", "b")]:
        stats.record(event, item)
    stats.record("accepted", "c")  # accepted without a show notification still counts as shown
    assert stats.acceptance() == {"shown": 3, "accepted": 2, "rejected": 1, "rate": 0.667}


def test_latency_percentiles_and_recent_values():
    stats = Stats(window=100)
    for ms in range(1, 101):
        stats.record_latency(float(ms))
    latency = stats.latency(recent=3)
    assert (latency["p50"], latency["p95"], latency["recent"]) == (50.0, 95.0, [98.0, 99.0, 100.0])
    assert percentile([], 50) is None
