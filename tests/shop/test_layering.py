"""The store's domain code knows no web framework: only ``miniport/shop/web`` imports one."""

from __future__ import annotations

from tests.test_boundaries import PACKAGE_ROOT, WEB_FRAMEWORKS, imports_of, is_within, python_files


def test_only_the_web_package_imports_a_web_framework() -> None:
    shop, web = PACKAGE_ROOT / "shop", PACKAGE_ROOT / "shop" / "web"
    assert python_files(shop), "the shop package was not found"
    found = [
        f"{path.relative_to(PACKAGE_ROOT)}:{imported.line} imports {imported.module}"
        for path in python_files(shop)
        if not path.is_relative_to(web)
        for imported in imports_of(path, PACKAGE_ROOT)
        if any(is_within(imported.module, framework) for framework in WEB_FRAMEWORKS)
    ]
    assert not found, "\n".join(found)
