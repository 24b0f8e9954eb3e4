"""Module resolution per language, on file sets that exist only in the resolver."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.resolve import ModuleResolver
from indexing.symbols import Import


def resolver(root: Path, *files: str) -> ModuleResolver:
    result = ModuleResolver([root])
    for file in files:
        result.add(f"{root.resolve().as_posix()}/{file}")
    return result


def relative(root: Path, paths: list[str]) -> list[str]:
    return [p.removeprefix(root.resolve().as_posix() + "/") for p in paths]


@pytest.mark.parametrize(
    ("importer", "module", "name", "expected"),
    [
        ("pkg/a.py", ".b", "x", ["pkg/b.py"]),  # from .b import x
        ("pkg/sub/a.py", "..b", "x", ["pkg/b.py"]),  # from ..b import x
        ("pkg/a.py", ".", "c", ["pkg/__init__.py", "pkg/c/__init__.py"]),  # from . import c (a package)
        ("main.py", "pkg.b", "", ["pkg/b.py"]),  # import pkg.b
        ("main.py", "pkg", "b", ["pkg/__init__.py", "pkg/b.py"]),  # from pkg import b (a submodule)
        ("tests/t.py", "lib.util", "f", ["src/lib/util.py"]),  # a src/ layout, found by suffix
        ("main.py", "os", "", []),  # not in the workspace
    ],
)
def test_python(tmp_path: Path, importer: str, module: str, name: str, expected: list[str]) -> None:
    files = ["pkg/__init__.py", "pkg/b.py", "pkg/c/__init__.py", "pkg/sub/a.py", "main.py", "src/lib/util.py"]
    found = resolver(tmp_path, *files).resolve(
        f"{tmp_path.resolve().as_posix()}/{importer}", "python", Import(module, name, "", 0)
    )
    assert relative(tmp_path, found) == expected


@pytest.mark.parametrize(
    ("specifier", "expected"),
    [
        ("./util", ["src/util.ts"]),
        ("./components", ["src/components/index.tsx"]),
        ("../lib/x.js", ["lib/x.ts"]),
        ("react", []),
    ],
)
def test_javascript(tmp_path: Path, specifier: str, expected: list[str]) -> None:
    files = ["src/util.ts", "src/components/index.tsx", "lib/x.ts", "src/main.ts"]
    found = resolver(tmp_path, *files).resolve(
        f"{tmp_path.resolve().as_posix()}/src/main.ts", "typescript", Import(specifier, "x", "", 0)
    )
    assert relative(tmp_path, found) == expected


def test_go_through_go_mod_and_by_directory_suffix(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/shop\n")
    files = ["store/store.go", "store/store_test.go", "store/item.go", "third/github.com/x/y/y.go", "main.go"]
    found = resolver(tmp_path, *files)
    main = f"{tmp_path.resolve().as_posix()}/main.go"
    assert relative(tmp_path, found.resolve(main, "go", Import("example.com/shop/store", "", "", 0))) == [
        "store/item.go",
        "store/store.go",
    ]
    assert relative(tmp_path, found.resolve(main, "go", Import("github.com/x/y", "", "", 0))) == [
        "third/github.com/x/y/y.go"
    ]


def test_java_kotlin_c_and_rust(tmp_path: Path) -> None:
    files = [
        "src/main/java/com/acme/util/Strings.java",
        "src/main/java/com/acme/util/Lists.java",
        "app/src/main/kotlin/com/acme/Model.kt",
        "include/geo/point.h",
        "src/shape.c",
        "src/shape.h",
        "src/model/item.rs",
        "src/model/mod.rs",
    ]
    found = resolver(tmp_path, *files)
    base = tmp_path.resolve().as_posix()
    assert relative(
        tmp_path, found.resolve(f"{base}/A.java", "java", Import("com.acme.util", "Strings", "", 0))
    ) == ["src/main/java/com/acme/util/Strings.java"]
    assert relative(
        tmp_path, found.resolve(f"{base}/A.java", "java", Import("com.acme.util", "*", "", 0))
    ) == [
        "src/main/java/com/acme/util/Lists.java",
        "src/main/java/com/acme/util/Strings.java",
    ]
    assert relative(
        tmp_path, found.resolve(f"{base}/A.kt", "kotlin", Import("com.acme", "Model", "", 0))
    ) == ["app/src/main/kotlin/com/acme/Model.kt"]
    assert relative(tmp_path, found.resolve(f"{base}/src/shape.c", "c", Import("shape.h", "", "", 0))) == [
        "src/shape.h"
    ]
    assert relative(
        tmp_path, found.resolve(f"{base}/src/shape.c", "c", Import("geo/point.h", "", "", 0))
    ) == ["include/geo/point.h"]
    assert relative(
        tmp_path, found.resolve(f"{base}/src/main.rs", "rust", Import("crate::model", "Item", "", 0))
    ) == ["src/model/mod.rs"]
    assert relative(
        tmp_path, found.resolve(f"{base}/src/main.rs", "rust", Import("crate::model", "item", "", 0))
    ) == ["src/model/mod.rs"]
