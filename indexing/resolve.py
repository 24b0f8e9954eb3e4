"""Module resolution: which workspace files an import refers to.

Resolution is by path, as each language's tooling does it, restricted to files in the index:
Python packages (relative and absolute, any source root), JavaScript/TypeScript relative
specifiers with their extension and index-file rules, Go import paths (through go.mod or by
directory suffix), Java/Kotlin dotted names, C/C++ includes and Rust `use` paths. Anything that
does not resolve to a workspace file (the standard library, node_modules) resolves to nothing.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from indexing.symbols import Import

JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".d.ts")
JS_LANGUAGES = ("javascript", "typescript", "tsx")


class ModuleResolver:
    """Maps imports to indexed files; kept up to date as files enter and leave the index."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = [root.resolve().as_posix() for root in roots]
        self._files: set[str] = set()
        self._by_filename: dict[str, set[str]] = {}
        self._by_dir: dict[str, set[str]] = {}
        self._go_modules = {root: _go_module(Path(root)) for root in self.roots}

    def add(self, path: str) -> None:
        if path not in self._files:
            self._files.add(path)
            directory, filename = posixpath.split(path)
            self._by_filename.setdefault(filename, set()).add(path)
            self._by_dir.setdefault(directory, set()).add(path)

    def remove(self, path: str) -> None:
        if path in self._files:
            self._files.discard(path)
            directory, filename = posixpath.split(path)
            self._by_filename[filename].discard(path)
            self._by_dir[directory].discard(path)

    def files_in(self, directory: str) -> list[str]:
        return sorted(self._by_dir.get(directory, ()))

    def resolve(self, from_path: str, language: str, imp: Import) -> list[str]:
        """The files that `imp`, written in `from_path`, refers to (the module, not the name)."""
        if language == "python":
            return self._python(from_path, imp.module, imp.name)
        if language in JS_LANGUAGES:
            return self._javascript(from_path, imp.module)
        if language == "go":
            return self._go(imp.module)
        if language in ("java", "kotlin"):
            return self._jvm(imp, ".java" if language == "java" else ".kt")
        if language in ("c", "cpp"):
            return self._include(from_path, imp.module)
        if language == "rust":
            return self._rust(imp)
        return []

    def _existing(self, candidates: list[str]) -> list[str]:
        return [c for c in dict.fromkeys(posixpath.normpath(c) for c in candidates) if c in self._files]

    def _by_suffix(self, suffix: str) -> list[str]:
        """Indexed files whose path ends with `/suffix` (suffix is a relative posix path)."""
        filename = posixpath.basename(suffix)
        tail = "/" + suffix
        return sorted(p for p in self._by_filename.get(filename, ()) if p.endswith(tail))

    def _python(self, from_path: str, module: str, name: str) -> list[str]:
        level = len(module) - len(module.lstrip("."))
        parts = [p for p in module[level:].split(".") if p]
        if level:
            base = posixpath.dirname(from_path)
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            bases = [base]
        else:  # the workspace roots, and the importing script's own directory (it is on sys.path)
            bases = [*self.roots, posixpath.dirname(from_path)]
        found: list[str] = []
        for base in bases:
            stem = posixpath.join(base, *parts) if parts else base
            found += self._existing([stem + ".py", stem + ".pyi", posixpath.join(stem, "__init__.py")])
            if name and name != "*":  # `from package import submodule`
                found += self._existing(
                    [posixpath.join(stem, name + ".py"), posixpath.join(stem, name, "__init__.py")]
                )
        if not found and not level and parts:  # a source root below the workspace root (src/ layouts)
            relative = "/".join(parts)
            found = self._by_suffix(relative + ".py") or self._by_suffix(relative + "/__init__.py")
            if name and name != "*":
                found += self._by_suffix(f"{relative}/{name}.py")
        return list(dict.fromkeys(found))

    def _javascript(self, from_path: str, specifier: str) -> list[str]:
        if not specifier.startswith("."):
            return []
        stem = posixpath.join(posixpath.dirname(from_path), specifier)
        candidates = [stem] + [stem + ext for ext in JS_EXTENSIONS]
        if stem.endswith(".js"):  # TypeScript sources imported by their compiled name
            candidates += [stem[:-3] + ".ts", stem[:-3] + ".tsx"]
        candidates += [posixpath.join(stem, "index" + ext) for ext in JS_EXTENSIONS]
        found = self._existing(candidates)
        return found[:1]

    def _go(self, import_path: str) -> list[str]:
        directories: list[str] = []
        for root, module in self._go_modules.items():
            if module and (import_path == module or import_path.startswith(module + "/")):
                directories.append(posixpath.join(root, import_path[len(module) :].lstrip("/")))
        if not directories:
            tail = "/" + import_path
            directories = [d for d in self._by_dir if d.endswith(tail)]
        return sorted(
            p
            for d in directories
            for p in self._by_dir.get(posixpath.normpath(d), ())
            if p.endswith(".go") and not p.endswith("_test.go")
        )

    def _jvm(self, imp: Import, extension: str) -> list[str]:
        package = imp.module.replace(".", "/")
        if imp.name == "*":
            return sorted(
                p
                for d in self._by_dir
                if d.endswith("/" + package)
                for p in self._by_dir[d]
                if p.endswith(extension)
            )
        found = self._by_suffix(f"{package}/{imp.name}{extension}" if package else imp.name + extension)
        if not found and package:  # a static import: the module is the class
            found = self._by_suffix(package + extension)
        return found

    def _include(self, from_path: str, include: str) -> list[str]:
        local = self._existing([posixpath.join(posixpath.dirname(from_path), include)])
        return local or self._by_suffix(include)

    def _rust(self, imp: Import) -> list[str]:
        parts = [p for p in imp.module.split("::") if p not in ("crate", "self", "super", "")]
        if not parts:
            parts = [imp.name]
        relative = "/".join(parts)
        found = self._by_suffix(relative + ".rs") or self._by_suffix(relative + "/mod.rs")
        if not found and imp.name not in ("*", ""):
            found = self._by_suffix(f"{relative}/{imp.name}.rs")
        return found


def _go_module(root: Path) -> str:
    try:
        for line in (root / "go.mod").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("module "):
                return line.split()[1].strip('"')
    except OSError:
        pass
    return ""
