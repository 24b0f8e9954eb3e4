"""Write the default model card's Evaluation section from the JSON that the two measuring commands print.

    STD=$(python -c "import sysconfig; print(sysconfig.get_paths()['stdlib'])")
    mellum-lsp eval lines "$STD" --held-out --samples 1000 --seed 0 --show 10 --json > eval.json
    mellum-lsp bench model > bench.json
    python scripts/card_evaluation.py eval.json bench.json model/default/README.md

The card's text up to `## Evaluation` (written by `mellum-lsp train --export`) is kept; what follows is
replaced, so the figures in the card are always the ones measured on the weights beside it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from model.evaluate import COPY_TOKENS, PREFIX_CHARS, SUFFIX_CHARS

HEADING = "## Evaluation"


def section(ev: dict, bench: dict) -> str:
    spec = bench["speculative"]
    one, two, lookup = spec["mtp_1_drafts"], spec["mtp"], spec["lookup_edit"]  # "mtp": the engine's default, 2 drafts
    verdict = "beats" if ev["exact_match"] > ev["baseline_exact_match"] and \
        ev["edit_similarity"] > ev["baseline_edit_similarity"] else "does not beat"
    out = [
        HEADING,
        "",
        "Measured with `mellum-lsp eval lines <stdlib> --held-out --samples 1000 --seed 0 --show 10 --json` on the "
        "held-out standard-library modules: the rest of the line at random cursor positions after the indentation, "
        f"the file's own {PREFIX_CHARS:,} characters before and {SUFFIX_CHARS:,} after as context, greedy decoding "
        "with token healing.",
        "",
        "| metric | this model | n-gram copy baseline |",
        "| --- | --- | --- |",
        f"| exact match | {ev['exact_match']:.3f} | {ev['baseline_exact_match']:.3f} |",
        f"| edit similarity | {ev['edit_similarity']:.3f} | {ev['baseline_edit_similarity']:.3f} |",
        "",
        f"The model {verdict} the baseline, which copies what followed the longest matching text earlier in the "
        "file.",
        "",
        f"- Perplexity of the true rest of the line, followed by the end-of-text that ends a FIM middle: "
        f"{ev['perplexity']:.1f}.",
        f"- Loss on a {COPY_TOKENS}-token block of the file's code, and on the same block shown again right after (only "
        f"copying predicts the second): {ev['copy_nll_first']:.2f} / {ev['copy_nll_second']:.2f} nats per token.",
        f"- MTP draft acceptance during greedy decoding, one draft per step (the token the head is trained to "
        f"predict): {ev['mtp_acceptance']:.1%}.",
        f"- `mellum-lsp bench model` on this 2-core CPU, identical output to plain decoding in each case: MTP with "
        f"one draft per step {one['speedup']}x plain decoding ({one['acceptance']:.0%} of drafts accepted, "
        f"{one['tokens_per_step']} tokens per step), with two {two['speedup']}x ({two['acceptance']:.0%}, "
        f"{two['tokens_per_step']} tokens per step; a step that makes and verifies two drafts costs "
        f"{spec['drafting_step_cost_in_plain_steps']['mtp']} plain steps here); prompt lookup on a rename "
        f"{lookup['speedup']}x ({lookup['acceptance']:.0%} of drafts accepted).",
        "",
        "### Ten completions drawn at random (seed 0)",
        "",
    ]
    for s in ev["shown"]:
        out += [f"- `{s['path']}`: after `{s['prefix_tail'][-60:]!r}`",
                f"  - expected: `{s['target']!r}`",
                f"  - model: `{s['completion']!r}`",
                f"  - baseline: `{s['baseline']!r}`"]
    return "\n".join(out) + "\n"


def main(eval_json: str, bench_json: str, card: str) -> None:
    path = Path(card)
    head = path.read_text(encoding="utf-8").split(HEADING)[0]
    body = section(json.loads(Path(eval_json).read_text()), json.loads(Path(bench_json).read_text()))
    path.write_text(head + body, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: python scripts/card_evaluation.py EVAL_JSON BENCH_JSON CARD")
    main(*sys.argv[1:])
