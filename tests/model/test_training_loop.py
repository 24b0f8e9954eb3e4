"""The training loop: a run interrupted after a checkpoint resumes to exactly the weights of an uninterrupted
one, and its export is a released-layout checkpoint that loads and matches transformers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import model
from model.check import check
from model.config import ModelConfig
from model.engine import Engine, GenerationParams
from model.modeling import Mellum, init_weights
from model.random_checkpoint import tiny_config
from model.training import train as training
from model.training.export import export
from model.training.train import TrainSettings

DEFAULT_DIR = Path(model.__file__).with_name("default")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """This project's own runtime sources (Apache-2.0) as a tiny package to train on."""
    root = tmp_path_factory.mktemp("corpus")
    (root / "runtime").mkdir()
    for f in Path(model.__file__).parent.glob("*.py"):
        shutil.copy(f, root / "runtime" / f.name)
    return root


def _settings(out: Path, corpus: Path, vocab_size: int) -> TrainSettings:
    """A run directory holding the default tokenizer and a tiny config, which `train` reuses as they are."""
    out.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(DEFAULT_DIR / name, out / name)
    ModelConfig.from_dict(tiny_config(vocab_size)).save(out)
    return TrainSettings(out=out, steps=4, batch=2, seq_len=96, warmup=2, save_every=2, corpus=corpus,
                         mtp_distill_steps=0)


def _log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]


def test_an_interrupted_run_resumes_exactly_and_exports_a_checkpoint_that_checks(
    tmp_path, corpus, default_tokenizer, monkeypatch
) -> None:
    vocab = default_tokenizer.vocab_size
    whole = training.train(_settings(tmp_path / "whole", corpus, vocab))

    save = training._atomic_save

    def save_then_die(obj, path) -> None:
        save(obj, path)
        if obj["step"] == 2:
            raise KeyboardInterrupt  # the session ends right after the step-2 checkpoint

    interrupted = _settings(tmp_path / "interrupted", corpus, vocab)
    monkeypatch.setattr(training, "_atomic_save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        training.train(interrupted)
    monkeypatch.undo()
    assert torch.load(interrupted.out / "train_state.pt", weights_only=False)["step"] == 2
    resumed = training.train(interrupted)

    a = torch.load(whole, weights_only=False)["model"]
    b = torch.load(resumed, weights_only=False)["model"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert [r["step"] for r in _log(interrupted.out)] == [1, 2, 3, 4]
    assert [r["lm"] for r in _log(interrupted.out)] == [r["lm"] for r in _log(tmp_path / "whole")]
    assert all(r["mtp"] > 0 and r["balance"] > 0 for r in _log(interrupted.out))

    target = tmp_path / "checkpoint"
    export(interrupted.out, resumed, target)
    index = json.loads((target / "model.safetensors.index.json").read_text())["weight_map"]
    assert any(k.startswith("mtp.") for k in index) and any(".experts.0." in k for k in index)
    report = check(target)
    assert report["ok"], report
    engine = Engine.load(str(target), slots=1, compile=False)
    assert engine.generate(default_tokenizer.encode("def f():"), GenerationParams(max_new_tokens=4)).new_tokens >= 1


def test_mtp_distillation_trains_only_the_mtp_layer_after_the_run(tmp_path, corpus, default_tokenizer) -> None:
    settings = _settings(tmp_path / "run", corpus, default_tokenizer.vocab_size)
    settings.steps, settings.mtp_distill_steps = 2, 2
    final = training.train(settings)
    assert final.name == "mtp_distill_state.pt"

    trunk = torch.load(settings.out / "train_state.pt", weights_only=False)["model"]
    distilled = torch.load(final, weights_only=False)["model"]
    mtp = [k for k in trunk if k.startswith("mtp.")]
    assert mtp and all(torch.equal(trunk[k], distilled[k]) for k in trunk if not k.startswith("mtp."))
    assert any(not torch.equal(trunk[k], distilled[k]) for k in mtp)
    log = [json.loads(line) for line in (settings.out / "mtp_distill_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2]
    assert all(r["kl"] >= 0 and 0 <= r["agree"] <= 1 for r in log)

    # the first phase trained on: the distillation of the old trunk is stale, so it starts again
    settings.steps = 3
    final = training.train(settings)
    trunk = torch.load(settings.out / "train_state.pt", weights_only=False)
    again = torch.load(final, weights_only=False)
    assert trunk["step"] == 3 and again["init_step"] == 3 and again["step"] == 2
    assert all(torch.equal(trunk["model"][k], again["model"][k]) for k in trunk["model"] if not k.startswith("mtp."))
    log = [json.loads(line) for line in (settings.out / "mtp_distill_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2]

    target = tmp_path / "checkpoint"
    export(settings.out, final, target)
    card = (target / "README.md").read_text()
    assert "- 3 steps, " in card and "Then 2 steps of MTP self-distillation" in card
    assert check(target)["ok"]


def test_distillation_loss_is_the_kl_at_drafted_positions_of_the_full_logits() -> None:
    """The loss computes the head only where drafts are made; it must equal the KL that every position's
    logits give there, and ignore every other position."""
    torch.manual_seed(0)
    net = Mellum(ModelConfig.from_dict(tiny_config(64)))
    init_weights(net)
    batch = torch.randint(1, 64, (2, 33))
    answers = torch.zeros(2, 33, dtype=torch.bool)
    answers[0, 5:12] = answers[1, 20:33] = True
    parts = training.mtp_distill_losses(net, batch, answers)

    inputs, positions = batch[:, :-1], torch.arange(32)
    with torch.no_grad():
        out = net(inputs, positions)
        draft = net.mtp_forward(inputs[:, 1:], out.hidden[:, :-1], positions[1:])
    drafted = (answers[:, 1:-1] & answers[:, 2:]).flatten()
    teacher = F.log_softmax(out.logits[:, 1:].float(), dim=-1).flatten(0, 1)[drafted]
    student = F.log_softmax(draft.logits.float(), dim=-1).flatten(0, 1)[drafted]
    expected = F.kl_div(student, teacher, log_target=True, reduction="batchmean")
    assert int(drafted.sum()) == 6 + 12
    assert torch.allclose(parts["kl"], expected, atol=1e-6)

    # without the first row's answer, only the second row's drafts count
    answers[0] = False
    fewer = training.mtp_distill_losses(net, batch, answers)
    assert torch.allclose(fewer["kl"], F.kl_div(student[6:], teacher[6:], log_target=True, reduction="batchmean"),
                          atol=1e-6)


def test_training_keeps_freed_memory_for_the_next_step() -> None:
    """A large tensor freed stays in the process for the next one instead of going back to the kernel
    (in a fresh process each way: what the heap already holds would hide the difference)."""
    code = (
        "import os, sys, torch\n"
        "from model.training.train import keep_freed_memory\n"
        "def resident(): return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')\n"
        "if sys.argv[1] == 'keep': keep_freed_memory()\n"
        "before = resident()\n"
        "block = torch.ones(2**24)\n"  # 64 MiB, touched
        "del block\n"
        "print(resident() - before)\n"
    )
    kept, returned = (int(subprocess.check_output([sys.executable, "-c", code, how])) for how in ("keep", "default"))
    assert kept >= 60 * 2**20 and returned < 16 * 2**20
