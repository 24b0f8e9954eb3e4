"""Candidate snippets for a cursor or a question, each scored and labelled with its source.

Sources for a cursor: the enclosing scopes and the import block of the current file; the
definitions of the symbols near the cursor (through the file's imports first, then by name);
names the file imports; windows of similar code; recently edited documents. Sources for a chat
question: definitions named in it, definitions whose name shares its words, similar windows,
and the open file with its selection. Weights live in `ranking.py`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexing.ranking import WEIGHTS, RankingWeights
from indexing.similarity import Window, jaccard, tokens
from indexing.symbols import Definition, FileSymbols, Import
from indexing.tags import KEYWORDS
from indexing.workspace import WorkspaceIndex

CHAIN = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\s*(?:\.|::|->)\s*[A-Za-z_$][A-Za-z0-9_$]*)*")
CHAIN_SEPARATOR = re.compile(r"\s*(?:\.|::|->)\s*")
STRING_LITERAL = re.compile(r"""(["'`])(?:\\.|(?!\1).)*\1""")
SUBWORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
COMPLETION_SOURCES = ("scope", "imports", "definition", "similar", "recent")
MIN_NAME_LENGTH = 3  # shorter names (i, x, db) are locals far more often than definitions elsewhere
RESOLVABLE_KINDS = frozenset(
    {"function", "method", "class", "interface", "enum", "type", "constant", "macro", "module", "field"}
)


@dataclass(frozen=True, slots=True)
class Candidate:
    path: str  # absolute posix path, as the index keys files
    start_line: int  # 0-based, inclusive
    end_line: int
    score: float
    source: str  # e.g. "definition:imported"


@dataclass(frozen=True, slots=True)
class Cursor:
    path: str
    lines: list[str]
    line: int  # 0-based
    visible: tuple[int, int]  # lines of the current file the prompt shows as prefix/suffix


def subwords(name: str) -> list[str]:
    return [w.lower() for w in SUBWORD.findall(name) if len(w) > 2]


def code_only(line: str, language: str) -> str:
    """A line without its string literals and trailing comment (names there are not used)."""
    line = STRING_LITERAL.sub('""', line)
    marker = "#" if language == "python" else "//"
    return line.split(marker, 1)[0]


def near_names(
    lines: list[str], line: int, weights: RankingWeights, language: str = ""
) -> dict[tuple[str, ...], float]:
    """Identifier chains (`a`, `a.b`) in the code around the cursor, with a proximity factor each."""
    found: dict[tuple[str, ...], float] = {}
    first = max(0, line - weights.near_lines_before)
    last = min(len(lines) - 1, line + weights.near_lines_after)
    for number in range(first, last + 1):
        proximity = 1.0 / (1.0 + abs(number - line) / weights.proximity_lines)
        for match in CHAIN.finditer(code_only(lines[number], language)):
            parts = tuple(CHAIN_SEPARATOR.split(match.group()))
            for length in range(1, min(len(parts), 3) + 1):
                chain = parts[:length]
                if length == 1 and chain[0] in KEYWORDS:
                    continue  # `self.name`, `this.name`: the attribute still counts
                if found.get(chain, 0.0) < proximity:
                    found[chain] = proximity
    return found


def definition_spans(definition: Definition, weights: RankingWeights) -> list[tuple[int, int, float]]:
    """(start, end, factor) for a definition's signature and, at a lower factor, its body."""
    signature_end = definition.start_line + definition.signature.count("\n")
    spans = [(definition.start_line, min(signature_end, definition.end_line), 1.0)]
    body_end = min(definition.end_line, definition.start_line + weights.body_lines - 1)
    if body_end > spans[0][1]:
        spans.append((definition.start_line, body_end, weights.body_factor))
    return spans


class CompletionRetriever:
    """All candidate snippets for one cursor; see the module docstring for the sources."""

    def __init__(self, index: WorkspaceIndex, weights: RankingWeights = WEIGHTS) -> None:
        self.index = index
        self.weights = weights

    def candidates(
        self, cursor: Cursor, recent: Sequence[str] = (), sources: Iterable[str] | None = None
    ) -> list[Candidate]:
        enabled = set(sources) if sources is not None else set(COMPLETION_SOURCES)
        if unknown := enabled - set(COMPLETION_SOURCES):
            raise ValueError(
                f"unknown retrieval sources {sorted(unknown)}; known: {', '.join(COMPLETION_SOURCES)}"
            )
        record = self.index.file(cursor.path)
        symbols = record.symbols if record is not None else None
        result: list[Candidate] = []
        if symbols is not None and "scope" in enabled:
            result += self._scopes(cursor, symbols)
        if symbols is not None and "imports" in enabled:
            result += self._import_block(cursor, symbols)
        if symbols is not None and "definition" in enabled:
            result += self._definitions(cursor, symbols)
        if "similar" in enabled:
            result += self._similar(cursor, recent)
        if "recent" in enabled:
            result += self._recent(cursor, recent)
        return [c for c in result if not self._visible(cursor, c)]

    @staticmethod
    def _visible(cursor: Cursor, candidate: Candidate) -> bool:
        first, last = cursor.visible
        return candidate.path == cursor.path and first <= candidate.start_line and candidate.end_line <= last

    # ----- the current file -------------------------------------------------------------------

    def _scopes(self, cursor: Cursor, symbols: FileSymbols) -> list[Candidate]:
        result = []
        for definition in symbols.definitions:
            if (
                definition.start_line < cursor.line <= definition.end_line
                and definition.start_line < cursor.visible[0]
            ):
                start, end, _ = definition_spans(definition, self.weights)[0]
                result.append(Candidate(cursor.path, start, end, self.weights.scope, "scope"))
        return result

    def _import_block(self, cursor: Cursor, symbols: FileSymbols) -> list[Candidate]:
        # Top-level imports only: imports inside functions belong to their function.
        lines = sorted(
            {
                imp.line
                for imp in symbols.imports
                if imp.line < cursor.visible[0] and not cursor.lines[imp.line][:1].isspace()
            }
        )
        if not lines:
            return []
        # Import statements can span lines: extend each to the next import or a blank line.
        blocks: list[tuple[int, int]] = []
        for number in lines:
            end = number
            while (
                end + 1 < min(len(cursor.lines), cursor.visible[0])
                and end + 1 not in lines
                and cursor.lines[end + 1].startswith((" ", "\t", ")", "}"))
            ):
                end += 1
            if blocks and number <= blocks[-1][1] + 2:
                blocks[-1] = (blocks[-1][0], end)
            else:
                blocks.append((number, end))
        return [Candidate(cursor.path, start, end, self.weights.imports, "imports") for start, end in blocks]

    # ----- definitions ------------------------------------------------------------------------

    def _definitions(self, cursor: Cursor, symbols: FileSymbols) -> list[Candidate]:
        weights = self.weights
        resolved = self._resolved_imports(cursor.path, symbols)
        # A name can be bound by several imports (`import a.b` and `import a.c` both bind `a`).
        bindings: dict[str, list[tuple[Import, list[str]]]] = {}
        for imp, files in resolved:
            if name := imp.bound_name(symbols.language):
                bindings.setdefault(name, []).append((imp, files))
        # Files this one imports (includes and wildcard imports too) and its directory's files.
        related = {p for _imp, files in resolved for p in files} | set(
            self.index.resolver.files_in(Path(cursor.path).parent.as_posix())
        )
        local = {definition.name: definition for definition in symbols.definitions}  # the last binding wins
        result: list[Candidate] = []
        used: set[str] = set()
        near = near_names(cursor.lines, cursor.line, weights, symbols.language)
        for chain, proximity in sorted(near.items()):
            head = chain[0]
            if head in bindings:
                used.add(head)
                target = self._through_imports(cursor.path, symbols.language, bindings[head], chain)
                if target is not None:
                    path, definition = target
                    result += self._spans(
                        path, definition, weights.definition_imported * proximity, "definition:imported"
                    )
                continue
            name = chain[-1]
            if name in local:
                definition = local[name]
                if not (cursor.visible[0] <= definition.start_line <= cursor.visible[1]):
                    result += self._spans(
                        cursor.path, definition, weights.definition_local * proximity, "definition:local"
                    )
                continue
            if len(chain) > 1:
                # `obj.method`: the attribute by name, the object is unresolved.
                result += self._by_name(cursor, name, proximity, related, methods_only=True)
                continue
            result += self._by_name(cursor, head, proximity, related, methods_only=False)
        for name, imports in list(bindings.items())[: weights.max_imported_names]:
            if name in used:
                continue
            target = self._through_imports(cursor.path, symbols.language, imports, (name,))
            if target is not None:
                path, definition = target
                result += self._spans(path, definition, weights.imported_name, "definition:imported-name")
        return result

    def _spans(self, path: str, definition: Definition, score: float, source: str) -> list[Candidate]:
        return [
            Candidate(path, start, end, score * factor, source)
            for start, end, factor in definition_spans(definition, self.weights)
        ]

    def _resolved_imports(self, path: str, symbols: FileSymbols) -> list[tuple[Import, list[str]]]:
        """The file's imports that resolve to other workspace files, with those files."""
        result = []
        for imp in symbols.imports:
            files = [p for p in self.index.resolver.resolve(path, symbols.language, imp) if p != path]
            if files:
                result.append((imp, files))
        return result

    def _through_imports(
        self, path: str, language: str, imports: list[tuple[Import, list[str]]], chain: tuple[str, ...]
    ) -> tuple[str, Definition] | None:
        """The definition `chain` names through the first of `imports` that resolves it."""
        for imp, files in imports:
            if language == "python" and not imp.name and not imp.alias and len(chain) > 1:
                # `import a.b` binds `a`: `a.x` is in package a, `a.b.x` in module a.b.
                parts = imp.module.split(".")
                depth = 1
                while depth < min(len(parts), len(chain) - 1) and chain[depth] == parts[depth]:
                    depth += 1
                module = Import(".".join(parts[:depth]), "", "", imp.line)
                files = [p for p in self.index.resolver.resolve(path, language, module) if p != path]
                imp = Import(module.module, "", module.module, imp.line)
            target = self._imported_definition(imp, files, chain)
            if target is not None:
                return target
        return None

    def _imported_definition(
        self, imp: Import, files: list[str], chain: tuple[str, ...]
    ) -> tuple[str, Definition] | None:
        """The definition `chain` names through `imp`: `name` itself, or `module.attr`."""
        if imp.name and imp.name != "default":
            # `from m import name`: name may be a definition in m, or a submodule of m.
            found = self._find(files, imp.name, container="")
            if found is not None:
                if len(chain) > 1:
                    member = self._find([found[0]], chain[1], container=imp.name)
                    return member or found
                return found
            submodules = [f for f in files if Path(f).stem == imp.name or Path(f).parent.name == imp.name]
            if len(chain) > 1 and submodules:
                return self._find(submodules, chain[1], container="")
            return None
        if imp.name == "default":
            return self._find(files, imp.alias, container="") or self._first_top_level(files)
        if len(chain) < 2:
            return None
        # A module import: `module.attr` (Python's dotted `a.b.attr` is aliased by the caller).
        depth = len(imp.alias.split(".")) if imp.alias else 1
        if depth >= len(chain):
            return None
        return self._find(files, chain[depth], container="")

    def _find(
        self, files: list[str], name: str, container: str, depth: int = 0
    ) -> tuple[str, Definition] | None:
        for path in files:
            record = self.index.file(path)
            if record is None:
                continue
            matches = [d for d in record.symbols.definitions if d.name == name and d.kind in RESOLVABLE_KINDS]
            preferred = [d for d in matches if d.container == container] or matches
            if preferred:  # the last definition wins, as a later binding does in Python
                return path, preferred[-1]
        if depth < 2:  # re-exports: `from .impl import name` in a package's __init__
            for path in files:
                record = self.index.file(path)
                if record is None:
                    continue
                for imp in record.symbols.imports:
                    if imp.bound_name(record.symbols.language) == name:
                        targets = self.index.resolver.resolve(path, record.symbols.language, imp)
                        found = self._find(
                            [t for t in targets if t != path], imp.name or name, container, depth + 1
                        )
                        if found is not None:
                            return found
        return None

    def _first_top_level(self, files: list[str]) -> tuple[str, Definition] | None:
        for path in files:
            record = self.index.file(path)
            if record is not None:
                top = [
                    d
                    for d in record.symbols.definitions
                    if not d.container and d.kind in ("function", "class")
                ]
                if top:
                    return path, top[0]
        return None

    def _by_name(
        self, cursor: Cursor, name: str, proximity: float, related: set[str], methods_only: bool
    ) -> list[Candidate]:
        weights = self.weights
        if len(name) < MIN_NAME_LENGTH:
            return []
        found = self.index.definitions_named(name)
        definitions = [
            (path, d)
            for path, defs in found.items()
            if path != cursor.path
            for d in defs
            if d.kind in RESOLVABLE_KINDS and (not methods_only or d.container)
        ]
        if not definitions or len(definitions) > weights.max_name_candidates:
            return []
        share = 1.0 / math.sqrt(len(definitions))
        result = []
        for path, definition in definitions:
            boost = weights.related_file_boost if path in related else 1.0
            score = min(1.0, weights.definition_by_name * proximity * share * boost)
            result += self._spans(path, definition, score, "definition:name")
        return result

    # ----- similar code and recent files -------------------------------------------------------

    def _query(self, cursor: Cursor) -> set[str]:
        first = max(0, cursor.line - self.weights.query_lines_before)
        last = min(len(cursor.lines), cursor.line + self.weights.query_lines_after + 1)
        return tokens("\n".join(cursor.lines[first:last]))

    def _file_windows(self, path: str) -> list[Window]:
        record = self.index.file(path)
        version = record.digest if record is not None else ""
        return self.index.windows.get(path, version, self.index.lines(path))

    def _similar(self, cursor: Cursor, recent: Sequence[str]) -> list[Candidate]:
        weights = self.weights
        query = self._query(cursor)
        if not query:
            return []
        files = [
            path for path, _ in self.index.terms.best_files(query, weights.similar_files, exclude=cursor.path)
        ]
        files = list(dict.fromkeys([cursor.path, *files, *self.index.open_documents(), *recent]))
        scored: list[Candidate] = []
        query_first = max(0, cursor.line - weights.query_lines_before)
        query_size = len(query)
        for path in files:
            for window in self._file_windows(path):
                if (
                    path == cursor.path
                    and window.end_line >= query_first
                    and window.start_line <= cursor.line + weights.query_lines_after
                ):
                    continue  # the query's own lines
                shared = len(query & window.tokens)  # Jaccard, inlined: this loop is hot
                similarity = shared / (query_size + len(window.tokens) - shared) if shared else 0.0
                if similarity >= weights.similar_min_jaccard:
                    factor = min(1.0, similarity / weights.similar_full_jaccard)
                    scored.append(
                        Candidate(
                            path, window.start_line, window.end_line, weights.similar * factor, "similar"
                        )
                    )
        scored.sort(key=lambda c: (-c.score, c.path, c.start_line))
        return scored[: weights.similar_windows]

    def _recent(self, cursor: Cursor, recent: Sequence[str]) -> list[Candidate]:
        weights = self.weights
        query = self._query(cursor)
        result = []
        others = [p for p in dict.fromkeys(recent) if p != cursor.path][: weights.recent_files]
        for rank, path in enumerate(others):
            best = max(self._file_windows(path), key=lambda w: jaccard(query, w.tokens), default=None)
            if best is None:
                continue
            factor = 0.5 + 0.5 * min(1.0, jaccard(query, best.tokens) / weights.similar_full_jaccard)
            result.append(
                Candidate(
                    path,
                    best.start_line,
                    best.end_line,
                    weights.recent * factor * weights.recent_decay**rank,
                    "recent",
                )
            )
        return result


class ChatRetriever:
    """Candidate snippets for a chat question."""

    def __init__(self, index: WorkspaceIndex, weights: RankingWeights = WEIGHTS) -> None:
        self.index = index
        self.weights = weights

    def candidates(
        self, question: str, open_file: tuple[str, list[str]] | None, selection: str | None
    ) -> list[Candidate]:
        weights = self.weights
        result: list[Candidate] = []
        names = {m.group() for m in CHAIN.finditer(question)}
        identifiers = {
            part for name in names for part in CHAIN_SEPARATOR.split(name) if len(part) > 2
        } - KEYWORDS
        for name in sorted(identifiers):
            found = self.index.definitions_named(name)
            count = sum(len(d) for d in found.values())
            # `parse_header`, `JSONDecoder`, `x.y`: code; `where`, `handle`: probably English.
            code_like = (
                "_" in name or name[1:] != name[1:].lower() or any(name in n and n != name for n in names)
            )
            weight = weights.chat_symbol * (1.0 if code_like else weights.chat_plain_word_factor)
            if 0 < count <= 2 * weights.max_name_candidates:
                for path, definitions in sorted(found.items()):
                    for definition in definitions:
                        result += [
                            Candidate(path, start, end, weight * factor / math.sqrt(count), "chat:symbol")
                            for start, end, factor in definition_spans(definition, weights)
                        ]
        words = {w for name in identifiers for w in subwords(name)}
        if words:
            result += self._word_hits(words, exclude=identifiers)
        query = tokens(question)
        if selection:
            query |= tokens(selection)
        if query:
            for path, _ in self.index.terms.best_files(query, weights.similar_files):
                for window in self.index.windows.get(path, self._version(path), self.index.lines(path)):
                    similarity = jaccard(query, window.tokens)
                    if similarity >= weights.similar_min_jaccard / 2:
                        factor = min(1.0, 2 * similarity / weights.similar_full_jaccard)
                        result.append(
                            Candidate(
                                path,
                                window.start_line,
                                window.end_line,
                                weights.chat_similar * factor,
                                "chat:similar",
                            )
                        )
        if open_file is not None:
            result += self._open_file(open_file[0], open_file[1], selection)
        return result

    def _version(self, path: str) -> str:
        record = self.index.file(path)
        return record.digest if record is not None else ""

    def _word_hits(self, words: set[str], exclude: set[str]) -> list[Candidate]:
        weights = self.weights
        hits: list[tuple[float, str, Definition]] = []
        for path in self.index.paths():
            record = self.index.file(path)
            if record is None:
                continue
            for definition in record.symbols.definitions:
                if definition.name in exclude or definition.kind not in RESOLVABLE_KINDS:
                    continue
                overlap = words.intersection(subwords(definition.name))
                if overlap:
                    hits.append((len(overlap) / len(words), path, definition))
        hits.sort(key=lambda hit: (-hit[0], hit[1], hit[2].start_line))
        result = []
        for share, path, definition in hits[: weights.chat_max_word_hits]:
            start, end, _ = definition_spans(definition, weights)[0]
            result.append(Candidate(path, start, end, weights.chat_word * share, "chat:word"))
        return result

    def _open_file(self, path: str, lines: list[str], selection: str | None) -> list[Candidate]:
        weights = self.weights
        if selection:
            text = "\n".join(lines)
            at = text.find(selection)
            if at >= 0:
                start = text.count("\n", 0, at)
                end = start + selection.count("\n")
                return [
                    Candidate(path, start, end, weights.chat_selection, "chat:selection"),
                    Candidate(
                        path,
                        max(0, start - 20),
                        min(len(lines) - 1, end + 20),
                        weights.chat_open_file,
                        "chat:open-file",
                    ),
                ]
        return (
            [Candidate(path, 0, min(len(lines), 60) - 1, weights.chat_open_file, "chat:open-file")]
            if lines
            else []
        )
