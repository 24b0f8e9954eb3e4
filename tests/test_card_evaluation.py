"""scripts/card_evaluation.py: the card keeps its head and gets the measured figures, replacing old ones."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "scripts" / "card_evaluation.py"


def test_the_evaluation_section_is_replaced_with_the_measured_figures(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("card_evaluation", SCRIPT)
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    shown = {"path": "heapq.py", "prefix_tail": "    top", "target": " = result[0][0]", "completion": " = 1",
             "baseline": ""}
    ev = {"exact_match": 0.061, "edit_similarity": 0.25, "baseline_exact_match": 0.127,
          "baseline_edit_similarity": 0.328, "perplexity": 40.04, "copy_nll_first": 3.5, "copy_nll_second": 1.25,
          "mtp_acceptance": 0.62, "shown": [shown]}
    bench = {"speculative": {"mtp_1_drafts": {"speedup": 0.8, "acceptance": 0.6, "tokens_per_step": 1.6},
                             "mtp": {"speedup": 0.7, "acceptance": 0.55, "tokens_per_step": 2.1},
                             "lookup_edit": {"speedup": 0.9, "acceptance": 0.4},
                             "drafting_step_cost_in_plain_steps": {"mtp": 2.5}}}
    (tmp_path / "eval.json").write_text(json.dumps(ev))
    (tmp_path / "bench.json").write_text(json.dumps(bench))
    card = tmp_path / "README.md"
    card.write_text("# card\n\nTraining notes.\n\n## Evaluation\n\n| exact match | 0.042 |\n")
    script.main(str(tmp_path / "eval.json"), str(tmp_path / "bench.json"), str(card))
    text = card.read_text()
    assert text.startswith("# card\n\nTraining notes.\n\n## Evaluation\n") and "0.042" not in text
    assert "| exact match | 0.061 | 0.127 |" in text and "does not beat the baseline" in text
    assert "40.0" in text and "3.50 / 1.25" in text and "62.0%" in text and "0.8x" in text
    assert "with two 0.7x (55%, 2.1 tokens per step; a step that makes and verifies two drafts costs 2.5" in text
    assert "  - expected: `' = result[0][0]'`" in text
