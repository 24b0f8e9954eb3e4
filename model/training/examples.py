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

from ..prompts import chat_prompt, code_reply_opening, rewrite_request
from ..tokenizer import EOS, Tokenizer
from .corpus import SourceFile


@dataclass(frozen=True)
class Mix:
    """Shares of each kind of example and the sizes that shape them."""

    library: float = 0.6  # share of repository examples from library files; the rest from test suites
    fim: float = 0.9  # of repository examples, the share whose last file becomes a FIM example
    spm: float = 0.5  # of FIM examples, the share in SPM order (the server's default)
    chat: float = 0.16  # share of sequences that are chat examples: docstring to function, or a rewrite
    repeat: float = 0.2  # share of sequences that are copying drills (`repeat_example`)
    repeat_lines: tuple[int, int] = (4, 24)  # lines in a drill
    short_fim: float = 0.35  # share of sequences that are short FIM examples (`short_fim_example`)
    short_prefix_chars: tuple[int, int] = (50, 600)
    short_suffix_chars: tuple[int, int] = (0, 300)
    rewrite: float = 0.5  # of chat examples, the share that rewrite a function (what edits and fixes ask)
    context_files: tuple[int, int] = (0, 2)  # other files of the same package before the current one
    context_chars: int = 600  # chars kept from each context file
    # What `eval lines` sends around a cursor (the server sends more), about 2/3 of a 1,024-token sequence: a
    # longer prefix holds more of the file's earlier lines to copy from.
    prefix_chars: int = 2000
    suffix_chars: int = 600
    # Code shown around a rewritten region (the server shows more).
    rewrite_context_chars: int = 900


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
        self.library = [f for f in files if not f.is_test]
        self.tests = [f for f in files if f.is_test]
        self.by_package: dict[str, list[SourceFile]] = defaultdict(list)
        for f in files:
            self.by_package[f.package].append(f)
        self.functions = [fn for f in files for fn in _documented_functions(f)]
        self.names = sorted({n for fn in self.functions for n in re.findall(r"\b[a-z_][a-z0-9_]{3,}\b", fn.source)}
                            - _KEYWORDS)

    def _pick_file(self, rng: random.Random) -> SourceFile:
        pool = self.library if rng.random() < self.mix.library else self.tests
        return rng.choice(pool or self.files)

    def _fim_body(self, prefix: str, middle: str, suffix: str, rng: random.Random) -> str:
        if rng.random() < self.mix.spm:
            return f"<fim_suffix>{suffix}<fim_prefix>{prefix}<fim_middle>{middle}{EOS}"
        return f"<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>{middle}{EOS}"

    def repo_example(self, rng: random.Random) -> str:
        current = self._pick_file(rng)
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
        return f"{head}<filename>{current.path}\n{self._fim_body(prefix, middle, suffix, rng)}"

    def short_fim_example(self, rng: random.Random) -> str:
        """A FIM example with a short prefix and suffix and no other files. A middle's first token is
        predicted at `<fim_middle>`, where the only clue is the prefix's last token, one position back (the
        cursor is often inside a word): one position per long example teaches that, while a sequence packs
        many short ones. Trained on long ones only, the model scored 4.8 nats on that token."""
        current = self._pick_file(rng)
        text = current.text
        a, b = _lines_span(text, rng)
        prefix = text[max(0, a - rng.randint(*self.mix.short_prefix_chars)) : a]
        middle, suffix = text[a:b], text[b : b + rng.randint(*self.mix.short_suffix_chars)]
        return f"<reponame>{current.package}<filename>{current.path}\n{self._fim_body(prefix, middle, suffix, rng)}"

    def chat_example(self, rng: random.Random) -> str:
        fn = rng.choice(self.functions)
        question = f"Write a Python function `{fn.signature}`:\n{fn.doc}"
        prompt = chat_prompt([{"role": "user", "content": question}])
        return f"{prompt}```python\n{fn.source}\n```<|im_end|>\n{EOS}"

    def rewrite_example(self, rng: random.Random) -> str:
        """A function rewritten as instructed: renamed throughout, its docstring removed, or kept as it is,
        asked for in the server's own words, with the region at its real indentation in its file. Most of
        the answer copies the region, as in the server's rewrites, fixes and next-edit predictions, which
        draft from the original region for exactly that reason."""
        fn = rng.choice(self.functions)
        region = fn.region
        kind = rng.random()
        names = _bound_names(fn.source)
        if kind < 0.6 and names:
            old = rng.choice(names)
            new = rng.choice(self.names)
            instruction, result = f"Rename `{old}` to `{new}`.", re.sub(rf"\b{old}\b", new, region)
        elif kind < 0.8:
            instruction, result = "Remove the docstring.", _without_docstring(fn.source, region)
        else:
            instruction, result = "Keep this code as it is.", region
        messages = rewrite_request(path=fn.path, text=fn.text, start=fn.start, end=fn.end,
                                   context_chars=self.mix.rewrite_context_chars, instruction=instruction)
        return f"{chat_prompt(messages)}{code_reply_opening(fn.path)}{result}\n```<|im_end|>\n{EOS}"

    def repeat_example(self, rng: random.Random) -> str:
        """Lines of code drawn from all over the corpus, then the same lines again from a random one on.
        Nothing but looking back predicts the second copy, so these drills teach the copying (induction)
        that completion depends on: code repeats its own names, calls and lines, and the n-gram baseline of
        `eval lines` scores by copying alone. Trained on code only, the model had not learned it."""
        pool = [line.rstrip() for f in rng.sample(self.files, min(4, len(self.files)))
                for line in f.text.split("\n") if len(line.strip()) >= 4]
        if not pool:
            return self.repo_example(rng)
        lines = [rng.choice(pool) for _ in range(rng.randint(*self.mix.repeat_lines))]
        again = lines[rng.randrange(0, len(lines) // 2 + 1) :]
        return "\n".join(lines) + "\n\n" + "\n".join(again) + "\n" + EOS

    def answers(self, ids: list[int]) -> list[bool]:
        """Which tokens a model writes when the server asks: FIM middles and chat replies, each with the
        token that ends it. Speculative decoding drafts only there."""
        fim_middle, ends = self.tok.special["<fim_middle>"], {self.tok.eos_id, self.tok.special["<|im_end|>"]}
        reply = self.tok.encode("<|im_start|>assistant\n")
        mask, inside = [], False
        for i, t in enumerate(ids):
            mask.append(inside)
            if t in ends:
                inside = False
            if t == fim_middle or ids[max(0, i + 1 - len(reply)) : i + 1] == reply:
                inside = True
        return mask

    def sequence(self, rng: random.Random, length: int) -> list[int]:
        """`length` token ids: examples packed back to back. An example that does not fit loses its head,
        never its tail: the tail is the FIM middle or the answer, the part the server asks for."""
        ids: list[int] = []
        while len(ids) < length:
            make = self.repo_example
            kind = rng.random()
            if self.functions and kind < self.mix.chat:
                make = self.rewrite_example if rng.random() < self.mix.rewrite else self.chat_example
            elif kind < self.mix.chat + self.mix.repeat:
                make = self.repeat_example
            elif kind < self.mix.chat + self.mix.repeat + self.mix.short_fim:
                make = self.short_fim_example
            ids.extend(self.tok.encode(make(rng))[-(length - len(ids)) :])
        return ids


@dataclass(frozen=True)
class Function:
    """A short documented function: what chat and rewrite examples are made of."""

    signature: str
    doc: str  # the docstring's first paragraph
    source: str  # dedented
    path: str
    text: str  # the whole file
    start: int  # the function's whole lines are text[start:end], without the last newline
    end: int

    @property
    def region(self) -> str:
        return self.text[self.start : self.end]


def _documented_functions(file: SourceFile) -> list[Function]:
    """The short functions of a file that have a docstring."""
    try:
        tree = ast.parse(file.text)
    except (SyntaxError, ValueError):
        return []
    lines = file.text.split("\n")  # as ast counts lines (splitlines would also split at form feeds)
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line) + 1)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node)
            if not doc or len(doc) < 20 or node.end_lineno is None or node.end_lineno - node.lineno > 40:
                continue
            source = textwrap.dedent("\n".join(lines[node.lineno - 1 : node.end_lineno])).rstrip()
            if len(source) <= 1200 and _parses(source):
                start, end = line_starts[node.lineno - 1], line_starts[node.end_lineno] - 1
                out.append(Function(f"{node.name}({ast.unparse(node.args)})", doc.strip().split("\n\n")[0], source,
                                    file.path, file.text, start, end))
    return out


_KEYWORDS = set(keyword.kwlist) | set(keyword.softkwlist) | {"self", "cls"}


def _without_docstring(source: str, region: str | None = None) -> str:
    """`region` (one function, `source` dedented, the same lines) without its docstring's lines."""
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    doc = node.body[0]
    lines = (source if region is None else region).split("\n")
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
