"""``mellum-lsp bench index``: the workspace index on the CPython standard library of this machine.

Measures, in one run and printed as one JSON report:
- a full index from an empty cache (time, peak RSS of a fresh process) and a restart from the
  persisted cache, as a ratio of the full time;
- one incremental edit (`apply_edit`, p50/p95) against re-analysing the same file from scratch;
- assembling the completion context at 2K, 8K and 32K tokens (p50/p95), cold and on the next
  keystroke, against one plain count of the finished prompt by the tokenizer;
- cross-file definition recall: at call sites of functions defined in another stdlib module
  (found with Python's `ast`), the share of prompts whose context shows the callee's `def`
  line, for the full retriever and for a similarity-only one (sliding-window Jaccard).
"""

from __future__ import annotations

import ast
import json
import logging
import random
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import click

from indexing.context import assemble_completion_context
from indexing.counting import forget_counts
from indexing.documents import analyse, point_at
from indexing.workspace import WorkspaceIndex

BUDGETS = (2048, 8192, 32768)
RECALL_BUDGETS = (2048, 8192)
LOG = logging.getLogger("bench.index")


@dataclass(frozen=True)
class CallSite:
    path: Path  # the calling file
    offset: int  # character offset of the callee's name: the cursor is just before it
    target: str  # the defining file, relative to the root
    target_line: int  # 1-based line of its `def`


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


# Run by a fresh interpreter that imports the index alone, so its peak RSS is the index's own
# (a process forked or spawned from the CLI would carry the server's and the model's imports).
BUILD_WORKER = """
import json, resource, sys, time
from pathlib import Path
from indexing.workspace import WorkspaceIndex

def peak_rss_mb():
    # VmHWM is this program's own peak; ru_maxrss would carry the parent's over exec on Linux.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

imported = peak_rss_mb()
started, cpu = time.perf_counter(), time.process_time()
index = WorkspaceIndex([Path(sys.argv[1])], cache_dir=Path(sys.argv[2]))
index.build()
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
stats = index.stats()
print(json.dumps({
    "seconds": round(seconds, 2),
    "cpu_seconds": round(cpu_seconds, 2),
    "peak_rss_mb": round(peak_rss_mb(), 1),
    "rss_before_build_mb": round(imported, 1),
    "files": stats["files"],
    "definitions": stats["definitions"],
    "parsed": stats["last_build"]["parsed"],
    "reused": stats["last_build"]["reused"],
}))
"""


def _measure_build(root: Path, cache_dir: Path) -> dict[str, Any]:
    finished = subprocess.run(
        [sys.executable, "-c", BUILD_WORKER, str(root), str(cache_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(finished.stdout)


def module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def top_level_functions(path: Path, cache: dict[Path, dict[str, int]]) -> dict[str, int]:
    if path not in cache:
        try:
            tree = ast.parse(path.read_bytes())
            cache[path] = {
                n.name: n.lineno for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
        except (SyntaxError, ValueError, OSError):
            cache[path] = {}
    return cache[path]


def call_sites(root: Path, files: list[Path], wanted: int, seed: int) -> list[CallSite]:
    """Calls to a top-level function of another stdlib module, through `from m import f` or `import m`."""
    generator = random.Random(seed)
    order = list(files)
    generator.shuffle(order)
    definitions: dict[Path, dict[str, int]] = {}
    sites: list[CallSite] = []
    for path in order:
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, ValueError, UnicodeDecodeError, OSError):
            continue
        names: dict[str, tuple[Path, int]] = {}  # from m import f [as g]
        modules: dict[str, Path] = {}  # import m [as n]
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                target = module_file(root, node.module)
                if target is not None and target != path:
                    functions = top_level_functions(target, definitions)
                    for alias in node.names:
                        if alias.name in functions:
                            names[alias.asname or alias.name] = (target, functions[alias.name])
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    target = module_file(root, alias.name)
                    if target is not None and target != path and (alias.asname or "." not in alias.name):
                        modules[alias.asname or alias.name] = target
        lines = source.split("\n")  # ast numbers lines by "\n" (str.splitlines also splits on "\f")
        line_starts = [0]
        for text_line in lines:
            line_starts.append(line_starts[-1] + len(text_line) + 1)
        found: list[CallSite] = []
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if isinstance(func, ast.Name) and func.id in names:
                target, def_line = names[func.id]
                column = func.col_offset
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in modules
            ):
                target = modules[func.value.id]
                def_line = top_level_functions(target, definitions).get(func.attr, 0)
                if not def_line or func.end_lineno != func.lineno:
                    continue
                column = func.end_col_offset - len(func.attr)  # type: ignore[operator]
            else:
                continue
            # ast columns are UTF-8 byte offsets; convert to characters on that line.
            char_column = len(
                lines[func.lineno - 1].encode("utf-8")[:column].decode("utf-8", errors="ignore")
            )
            offset = line_starts[func.lineno - 1] + char_column
            found.append(CallSite(path, offset, target.relative_to(root).as_posix(), def_line))
        generator.shuffle(found)
        sites += found[:2]  # at most two per file, so a few big files do not dominate
        if len(sites) >= wanted:
            break
    return sites[:wanted]


class Timings:
    """Wall-clock and this thread's CPU time of repeated runs. On a shared machine the CPU time
    is the code's own cost; the wall time adds the waits for a core."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    @contextmanager
    def measure(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.thread_time()
        yield
        self.wall.append(time.perf_counter() - wall)
        self.cpu.append(time.thread_time() - cpu)

    def summary(self) -> dict[str, Any]:
        return {"cpu": percentiles(self.cpu), "wall": percentiles(self.wall)}

    def median_cpu(self) -> float:
        return statistics.median(self.cpu)


def _time_incremental(index: WorkspaceIndex, files: list[Path], edits: int, seed: int) -> dict[str, Any]:
    generator = random.Random(seed)
    edit = Timings()
    fresh = Timings()
    for path in generator.sample(files, min(edits, len(files))):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        index.update_document(path, text)
        data = text.encode()
        at = generator.randrange(len(data) + 1)
        while at > 0 and (data[at - 1] & 0xC0) == 0x80:  # not inside a UTF-8 sequence
            at -= 1
        inserted = "x"
        new_data = data[:at] + inserted.encode() + data[at:]
        with edit.measure():
            index.apply_edit(
                path,
                at,
                at,
                at + 1,
                point_at(data, at),
                point_at(data, at),
                point_at(new_data, at + 1),
                inserted,
            )
        with fresh.measure():
            analyse("python", new_data)
        index.close_document(path)
    return {
        "edits": len(edit.cpu),
        "apply_edit": edit.summary(),
        "reference_reanalyse_from_scratch": fresh.summary(),
        "cpu_speedup_p50": round(fresh.median_cpu() / edit.median_cpu(), 2),
    }


def _assemble(index: WorkspaceIndex, site: CallSite, budget: int, tokenizer, formatter, sources=None):
    text = site.path.read_text(encoding="utf-8")
    return assemble_completion_context(
        index,
        site.path,
        text,
        site.offset,
        budget=budget,
        tokenizer=tokenizer,
        formatter=formatter,
        sources=sources,
    )


def _time_assembly(
    index: WorkspaceIndex, sites: list[CallSite], budget: int, tokenizer, formatter
) -> dict[str, Any]:
    """Per cursor: a cold assembly (no remembered counts), then the next keystroke's (one
    character typed at the cursor); the reference is one plain count of the finished prompt."""
    cold, keystroke, one_count = Timings(), Timings(), Timings()
    fill: list[float] = []
    for site in sites:
        text = site.path.read_text(encoding="utf-8")
        forget_counts()
        with cold.measure():
            assembled = assemble_completion_context(
                index, site.path, text, site.offset, budget=budget, tokenizer=tokenizer, formatter=formatter
            )
        typed = text[: site.offset] + "x" + text[site.offset :]
        with keystroke.measure():
            assemble_completion_context(
                index,
                site.path,
                typed,
                site.offset + 1,
                budget=budget,
                tokenizer=tokenizer,
                formatter=formatter,
            )
        with one_count.measure():
            tokenizer.count(assembled.prompt)
        fill.append(assembled.prompt_tokens / budget)
    return {
        "cold": cold.summary(),
        "next_keystroke": keystroke.summary(),
        "reference_one_full_count": one_count.summary(),
        "cold_over_reference_cpu_p50": round(cold.median_cpu() / one_count.median_cpu(), 2),
        "mean_budget_fill": round(statistics.mean(fill), 3),
    }


def _shows(pieces, site: CallSite) -> bool:
    return any(p.path == site.target and p.start_line <= site.target_line <= p.end_line for p in pieces)


@click.command("index")
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The tree to index (default: this Python's standard library).",
)
@click.option("--sites", default=600, show_default=True, help="Call sites for the recall measurement.")
@click.option("--edits", default=300, show_default=True, help="Random single-character edits to time.")
@click.option(
    "--timed", default=150, show_default=True, help="Cursors whose context assembly is timed per budget."
)
@click.option(
    "--seed", default=0, show_default=True, help="Seed for the sampled files, edits and call sites."
)
def index(root: Path | None, sites: int, edits: int, timed: int, seed: int) -> None:
    """Index this machine's CPython stdlib; print build, restart, edit, assembly and recall figures as JSON."""
    from mellum_lsp.commands.context import tokenizer_dir
    from model.prompts import fim_prompt
    from model.tokenizer import Tokenizer

    root = (root or Path(sysconfig.get_paths()["stdlib"])).resolve()
    tokenizer = Tokenizer.from_dir(tokenizer_dir("default"))
    formatter = partial(fim_prompt, mode="spm")
    report: dict[str, Any] = {"root": root.as_posix()}
    with tempfile.TemporaryDirectory(prefix="mellum-bench-index-") as cache:
        click.echo("full index in a fresh process...", err=True)
        report["full_index"] = _measure_build(root, Path(cache))
        click.echo("restart from the persisted index...", err=True)
        report["restart"] = _measure_build(root, Path(cache))
        report["restart"]["cpu_ratio_to_full"] = round(
            report["restart"]["cpu_seconds"] / report["full_index"]["cpu_seconds"], 3
        )

        workspace = WorkspaceIndex([root], cache_dir=Path(cache), log=LOG)
        workspace.build()
        files = [Path(p) for p in workspace.paths() if p.endswith(".py")]
        click.echo("incremental edits...", err=True)
        report["incremental_update"] = _time_incremental(workspace, files, edits, seed)

        click.echo("finding call sites with ast...", err=True)
        found = call_sites(root, files, sites, seed)
        report["call_sites"] = len(found)

        click.echo("timing context assembly...", err=True)
        report["context_assembly"] = {
            str(budget): _time_assembly(workspace, found[:timed], budget, tokenizer, formatter)
            for budget in BUDGETS
        }

        click.echo("cross-file definition recall...", err=True)
        recall: dict[str, Any] = {}
        for budget in RECALL_BUDGETS:
            full = sum(_shows(_assemble(workspace, s, budget, tokenizer, formatter).pieces, s) for s in found)
            similar = sum(
                _shows(_assemble(workspace, s, budget, tokenizer, formatter, sources=["similar"]).pieces, s)
                for s in found
            )
            recall[str(budget)] = {
                "index": round(full / len(found), 3),
                "similarity_only": round(similar / len(found), 3),
                "ratio": round(full / similar, 2) if similar else None,
            }
        report["cross_file_definition_recall"] = recall
        workspace.close()
    click.echo(json.dumps(report, indent=2))
