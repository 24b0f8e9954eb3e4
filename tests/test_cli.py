"""The ``mellum-lsp`` command: help everywhere, one-line errors with non-zero status, FILE:LINE:COL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mellum_lsp.cli import main
from mellum_lsp.locations import Location, parse_location


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_every_subcommand_and_option_has_help():
    for path, command in all_commands(main):
        assert command.help, f"{' '.join(path)} has no help text"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{' '.join(path)} {param.opts[0]} has no help text"


def test_help_runs_for_every_subcommand():
    runner = CliRunner()
    for path, _ in all_commands(main):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.output


def run_cli(*args: str, env_home: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mellum_lsp", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"XDG_CONFIG_HOME": str(env_home), "PATH": "/usr/bin:/bin"},
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("serve", "--bogus"), "No such option '--bogus'"),
        (("serve", "--port", "99999"), "'--port'"),
        (("serve", "--set", "completion.debounce=5"), "completion.debounce: unknown key"),
        (
            ("serve", "--set", "completion.debounce_ms=-5"),
            "completion.debounce_ms: got -5, expected an integer",
        ),
        (("serve", "--device", "gpu"), "model.device: got 'gpu'"),
        (("nonsense",), "No such command 'nonsense'"),
    ],
)
def test_wrong_flags_and_keys_exit_non_zero_with_one_line(tmp_path, args, reason):
    result = run_cli(*args, env_home=tmp_path)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mellum-lsp: ") and reason in lines[0]


def test_a_bad_key_in_the_user_config_file_stops_the_command(tmp_path):
    (tmp_path / "mellum-lsp").mkdir()
    (tmp_path / "mellum-lsp" / "config.toml").write_text("[completion]\nmultiline = 'sometimes'\n")
    result = run_cli("serve", env_home=tmp_path)
    assert result.returncode != 0
    assert "completion.multiline: got 'sometimes', expected one of 'auto', 'always', 'never'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("src/app.py:3:7", Location(Path("src/app.py"), 3, 7)),
        ("C:/work/app.py:10:1", Location(Path("C:/work/app.py"), 10, 1)),
        ("a:b.py:1:1", Location(Path("a:b.py"), 1, 1)),
    ],
)
def test_file_line_col_is_parsed(text, expected):
    assert parse_location(text) == expected


@pytest.mark.parametrize("text", ["app.py", "app.py:3", "app.py:x:1", "app.py:0:1", "app.py:1:0", ":1:1"])
def test_malformed_locations_are_rejected(text):
    with pytest.raises(ValueError):
        parse_location(text)


def test_location_offsets_are_one_based_characters():
    text = "ab\nc😀d\n"
    assert Location(Path("x"), 1, 1).offset_in(text) == 0
    assert Location(Path("x"), 2, 3).offset_in(text) == text.index("d")
    assert Location(Path("x"), 2, 4).offset_in(text) == text.index("d") + 1  # end of line
    with pytest.raises(ValueError, match="line 2 has 3 characters"):
        Location(Path("x"), 2, 5).offset_in(text)
    with pytest.raises(ValueError, match="has 3 lines"):
        Location(Path("x"), 9, 1).offset_in(text)


def test_chat_streams_an_answer_through_the_server_code(tmp_path, tiny_checkpoint):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "app.py").write_text("def add(a, b):\n    return a + b\n")
    result = run_cli(
        "chat",
        "What does add do?",
        "--root",
        str(tmp_path / "repo"),
        "--model",
        str(tiny_checkpoint),
        "--set",
        "chat.max_new_tokens=4",
        env_home=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "prompt tokens" in result.stderr and "new tokens" in result.stderr


def test_complete_prints_json_with_timings(tmp_path, tiny_checkpoint):
    source = tmp_path / "app.py"
    source.write_text("def add(a, b):\n    return \n")
    result = run_cli(
        "complete",
        f"{source}:2:12",
        "--model",
        str(tiny_checkpoint),
        "--set",
        "completion.max_new_tokens=4",
        "--json",
        env_home=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert isinstance(payload["text"], str)
    if payload["text"]:
        assert payload["latency_ms"] >= 0 and payload["prompt_tokens"] > 0


def test_complete_without_a_model_fails_with_one_reason(tmp_path):
    source = tmp_path / "app.py"
    source.write_text("x = 1\n")
    result = run_cli(
        "complete", f"{source}:1:1", "--model", str(tmp_path / "nothing"), env_home=tmp_path, timeout=300
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("mellum-lsp: Model not found")


def test_eval_lines_prints_json(tmp_path, tiny_checkpoint):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "walker.py").write_text("def walk(root):\n    for name in os.listdir(root):\n        yield name\n")
    result = run_cli("eval", "lines", str(tmp_path / "repo"), "--model", str(tiny_checkpoint), "--samples", "3",
                     "--show", "2", "--examples", str(tmp_path / "all.jsonl"), "--json", env_home=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["samples"] == 3 and len(report["shown"]) == 2
    assert {"target", "completion", "baseline"} <= set(report["shown"][0])
    every = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert len(every) == 3 and all(shown in every for shown in report["shown"])
