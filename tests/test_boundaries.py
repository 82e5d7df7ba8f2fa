"""Services meet only over HTTP, and the platform's domain code knows no web framework.

(a) nothing under ``miniport/host``, ``miniport/shop`` or ``miniport/sdk`` imports
    ``miniport.platform`` (a partner would not have the platform's code either);
(b) nothing under ``miniport/platform`` outside ``miniport/platform/web`` imports ``fastapi``
    or ``starlette`` (domain code stays callable from the CLI, tests and other faces).

Imports are read with ``ast``, so an import inside a function or behind ``TYPE_CHECKING``
counts too. Packages that do not exist yet simply contribute no files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import miniport

PACKAGE_ROOT = Path(miniport.__file__).parent
PARTNER_PACKAGES = ("host", "shop", "sdk")
WEB_FRAMEWORKS = ("fastapi", "starlette")


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name, relative imports resolved
    file: Path
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Every module ``path`` imports, as absolute names (``from . import x`` resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, path, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            yield Import(target, path, node.lineno)
            # "from miniport import platform" imports miniport.platform too.
            for alias in node.names:
                yield Import(f"{target}.{alias.name}", path, node.lineno)


def is_within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def python_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.py")) if directory.is_dir() else []


def partner_violations(root: Path) -> list[Import]:
    platform = f"{root.name}.platform"
    return [
        found
        for name in PARTNER_PACKAGES
        for path in python_files(root / name)
        for found in imports_of(path, root)
        if is_within(found.module, platform)
    ]


def framework_violations(root: Path) -> list[Import]:
    web = root / "platform" / "web"
    return [
        found
        for path in python_files(root / "platform")
        if not path.is_relative_to(web)
        for found in imports_of(path, root)
        if any(is_within(found.module, framework) for framework in WEB_FRAMEWORKS)
    ]


def describe(violations: list[Import], root: Path) -> str:
    return "\n".join(
        f"{found.file.relative_to(root.parent)}:{found.line} imports {found.module}"
        for found in violations
    )


def test_host_shop_and_sdk_do_not_import_the_platform() -> None:
    violations = partner_violations(PACKAGE_ROOT)
    assert not violations, "talk to the platform over HTTP (miniport.sdk):\n" + describe(
        violations, PACKAGE_ROOT
    )


def test_platform_domain_code_does_not_import_a_web_framework() -> None:
    assert python_files(PACKAGE_ROOT / "platform"), "the platform package was not found"
    violations = framework_violations(PACKAGE_ROOT)
    assert not violations, "only miniport/platform/web may use FastAPI:\n" + describe(
        violations, PACKAGE_ROOT
    )


# --- the checks themselves catch what they should ---------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "miniport"
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root


def test_the_partner_check_finds_every_form_of_platform_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "host/__init__.py": "",
            "host/a.py": "import miniport.platform.registry\n",
            "host/b.py": "from miniport.platform.oauth import errors\n",
            "shop/__init__.py": "",
            "shop/c.py": "from miniport import platform\n",
            "sdk/__init__.py": "",
            "sdk/d.py": "def f():\n    from ..platform import keys\n",
            "sdk/fine.py": "import httpx\nfrom miniport.common import clock\nfrom . import d\n",
        },
    )

    found = {(path.file.name, path.module) for path in partner_violations(root)}

    assert ("a.py", "miniport.platform.registry") in found
    assert ("b.py", "miniport.platform.oauth") in found
    assert ("c.py", "miniport.platform") in found
    assert ("d.py", "miniport.platform") in found
    assert not any(name == "fine.py" for name, _ in found)


def test_the_framework_check_allows_web_and_nothing_else(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "platform/__init__.py": "",
            "platform/web/app.py": "from fastapi import FastAPI\nimport starlette.routing\n",
            "platform/oauth/token.py": "from starlette.requests import Request\n",
            "platform/consent/page.py": "import fastapi\n",
            "platform/keys/fine.py": "import joserfc\n",
        },
    )

    found = {(path.file.name, path.module) for path in framework_violations(root)}

    assert ("token.py", "starlette.requests") in found
    assert ("page.py", "fastapi") in found
    assert not any(name in ("app.py", "fine.py") for name, _ in found)
