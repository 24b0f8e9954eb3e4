"""`mellum-lsp context FILE:LINE:COL`: the prompt and its pieces, from the terminal."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mellum_lsp.cli import main


def test_context_json_lists_pieces_with_reasons(copy_repo, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    root = copy_repo("py_shop")
    cart = root / "shop" / "cart.py"
    line = next(
        n for n, text in enumerate(cart.read_text().splitlines(), 1) if "apply_discount(subtotal" in text
    )
    column = cart.read_text().splitlines()[line - 1].index("apply_discount") + 1
    result = CliRunner().invoke(
        main, ["context", f"{cart}:{line}:{column}", "--root", str(root), "--budget", "700", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["prompt"].startswith("<reponame>py_shop<filename>")
    assert payload["prompt"].endswith("<fim_middle>")
    assert 0 < payload["prompt_tokens"] <= 700
    pricing = [p for p in payload["pieces"] if p["path"] == "shop/pricing.py"]
    assert pricing and pricing[0]["reason"].startswith("definition:imported(score=")
    assert set(payload["pieces"][0]) == {"path", "start_line", "end_line", "reason", "tokens"}


def test_context_reports_bad_input_in_one_line(copy_repo, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    root = copy_repo("py_shop")
    cart = root / "shop" / "cart.py"
    runner = CliRunner()
    outside = runner.invoke(main, ["context", f"{cart}:999:1", "--root", str(root)])
    assert outside.exit_code != 0 and "lines" in outside.stderr
    tiny = runner.invoke(main, ["context", f"{cart}:3:1", "--root", str(root), "--budget", "3"])
    assert tiny.exit_code != 0 and "cannot hold" in tiny.stderr
    model = runner.invoke(main, ["context", f"{cart}:3:1", "--root", str(root), "--model", str(tmp_path)])
    assert model.exit_code != 0 and "tokenizer.json" in model.stderr
