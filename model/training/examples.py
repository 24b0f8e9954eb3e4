"""Training examples in the formats the server sends: repository context, FIM (SPM and PSM), chat.

Every example is drawn from a `random.Random` seeded by the step, so a resumed run sees exactly the
batches an uninterrupted one would.
"""

from __future__ import annotations

import ast
import keyword
import random
import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass

from ..prompts import chat_prompt
from ..tokenizer import EOS, Tokenizer
from .corpus import SourceFile


@dataclass(frozen=True)
class Mix:
    """Shares of each kind of example and the sizes that shape them."""

    fim: float = 0.9  # of repository examples, the share whose last file becomes a FIM example
    spm: float = 0.5  # of FIM examples, the share in SPM order (the server's default)
    chat: float = 0.16  # share of sequences that are chat examples: docstring to function, or a rewrite
    rewrite: float = 0.5  # of chat examples, the share that rewrite a function (what edits and fixes ask)
    context_files: tuple[int, int] = (0, 2)  # other files of the same package before the current one
    context_chars: int = 600  # chars kept from each context file
    # Short enough that a 1,024-token sequence holds several examples: more middles per step.
    prefix_chars: int = 1200
    suffix_chars: int = 400


def _lines_span(text: str, rng: random.Random) -> tuple[int, int]:
    """A middle span shaped like what an editor asks for: mostly the rest of a line from a cursor placed
    where people type (after the indentation of a line with code), else whole lines or an arbitrary span."""
    n = len(text)
    cursor = rng.randrange(0, max(1, n - 1))
    line_start = text.rfind("\n", 0, cursor) + 1
    line_end = text.find("\n", cursor)
    line_end = n if line_end < 0 else line_end
    kind = rng.random()
    if kind < 0.6:  # rest of the current line
        line = text[line_start:line_end]
        indent, code_end = len(line) - len(line.lstrip()), len(line.rstrip())
        if code_end > indent:
            cursor = line_start + rng.randrange(indent, code_end)
        return cursor, line_end
    if kind < 0.85:  # 1-6 whole lines from the start of this line
        end = line_start
        for _ in range(rng.randint(1, 6)):
            nxt = text.find("\n", end)
            if nxt < 0:
                end = n
                break
            end = nxt + 1
        return line_start, end
    return cursor, min(n, cursor + rng.randint(1, 300))  # an arbitrary span


class ExampleBuilder:
    def __init__(self, files: list[SourceFile], tokenizer: Tokenizer, mix: Mix = Mix()):
        self.files = files
        self.tok = tokenizer
        self.mix = mix
        self.by_package: dict[str, list[SourceFile]] = defaultdict(list)
        for f in files:
            self.by_package[f.package].append(f)
        self.functions = [fn for f in files for fn in _documented_functions(f.text)]
        self.names = sorted({n for _, _, src in self.functions for n in re.findall(r"\b[a-z_][a-z0-9_]{3,}\b", src)}
                            - _KEYWORDS)

    def repo_example(self, rng: random.Random) -> str:
        current = rng.choice(self.files)
        siblings = [f for f in self.by_package[current.package] if f is not current]
        k = min(len(siblings), rng.randint(*self.mix.context_files))
        context = []
        for f in rng.sample(siblings, k):
            start = rng.randrange(0, max(1, len(f.text) - self.mix.context_chars))
            start = f.text.rfind("\n", 0, start) + 1
            context.append((f.path, f.text[start : start + self.mix.context_chars]))
        head = f"<reponame>{current.package}" + "".join(f"<filename>{p}\n{c}" for p, c in context)
        text = current.text
        if rng.random() >= self.mix.fim or len(text) < 20:
            start = rng.randrange(0, max(1, len(text) - self.mix.prefix_chars))
            start = text.rfind("\n", 0, start) + 1
            return f"{head}<filename>{current.path}\n{text[start : start + self.mix.prefix_chars + self.mix.suffix_chars]}"
        a, b = _lines_span(text, rng)
        prefix = text[max(0, a - self.mix.prefix_chars) : a]
        middle, suffix = text[a:b], text[b : b + self.mix.suffix_chars]
        if rng.random() < self.mix.spm:
            body = f"<fim_suffix>{suffix}<fim_prefix>{prefix}<fim_middle>{middle}{EOS}"
        else:
            body = f"<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>{middle}{EOS}"
        return f"{head}<filename>{current.path}\n{body}"

    def chat_example(self, rng: random.Random) -> str:
        signature, doc, source = rng.choice(self.functions)
        question = f"Write a Python function `{signature}`:\n{doc}"
        prompt = chat_prompt([{"role": "user", "content": question}])
        return f"{prompt}```python\n{source}\n```<|im_end|>\n{EOS}"

    def rewrite_example(self, rng: random.Random) -> str:
        """A function rewritten as instructed: renamed throughout, its docstring removed, or kept as it is.
        Most of the answer copies the question, as in the server's rewrites, fixes and next-edit
        predictions, which draft from the original region for exactly that reason."""
        _, _, source = rng.choice(self.functions)
        kind = rng.random()
        names = _bound_names(source)
        if kind < 0.6 and names:
            old = rng.choice(names)
            new = rng.choice(self.names)
            instruction, result = f"Rename `{old}` to `{new}`.", re.sub(rf"\b{old}\b", new, source)
        elif kind < 0.8:
            instruction, result = "Remove the docstring.", _without_docstring(source)
        else:
            instruction, result = "Keep this code as it is.", source
        question = f"The region:\n```python\n{source}\n```\n\nInstruction: {instruction}"
        prompt = chat_prompt([{"role": "system", "content": REWRITE_SYSTEM}, {"role": "user", "content": question}])
        return f"{prompt}```python\n{result}\n```<|im_end|>\n{EOS}"

    def sequence(self, rng: random.Random, length: int) -> list[int]:
        """`length` token ids: examples packed back to back. An example that does not fit loses its head,
        never its tail: the tail is the FIM middle or the answer, the part the server asks for."""
        ids: list[int] = []
        while len(ids) < length:
            make = self.repo_example
            if self.functions and rng.random() < self.mix.chat:
                make = self.rewrite_example if rng.random() < self.mix.rewrite else self.chat_example
            ids.extend(self.tok.encode(make(rng))[-(length - len(ids)) :])
        return ids


def _documented_functions(text: str) -> list[tuple[str, str, str]]:
    """(signature, docstring, source) of short functions that have a docstring."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    lines = text.splitlines(keepends=True)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node)
            if not doc or len(doc) < 20 or node.end_lineno is None or node.end_lineno - node.lineno > 40:
                continue
            source = textwrap.dedent("".join(lines[node.lineno - 1 : node.end_lineno])).rstrip()
            if len(source) <= 1200 and _parses(source):
                out.append((f"{node.name}({ast.unparse(node.args)})", doc.strip().split("\n\n")[0], source))
    return out


_KEYWORDS = set(keyword.kwlist) | set(keyword.softkwlist) | {"self", "cls"}
REWRITE_SYSTEM = "You rewrite code as instructed and reply with the whole rewritten code in one fenced block."


def _without_docstring(source: str) -> str:
    """`source` (one function) without its docstring's lines."""
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    doc = node.body[0]
    lines = source.split("\n")
    return "\n".join(lines[: doc.lineno - 1] + lines[(doc.end_lineno or doc.lineno) :])


def _bound_names(source: str) -> list[str]:
    """The parameters and local variables of a function's source: what a rename is about."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
    return sorted(n for n in found if len(n) > 1 and n not in _KEYWORDS)


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:  # a method whose body dedents badly (a string literal at column 0)
        return False
    return True
