"""The browser-test harness itself: a missing Chromium fails loudly, axe reports violations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import axe_violations, chromium_or_fail, format_violations


def test_a_missing_chromium_fails_with_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREAU_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception) as exc:
        chromium_or_fail()
    assert "/nonexistent/chromium" in str(exc.value)
    assert "apt-get install chromium" in str(exc.value)


def test_axe_finds_and_describes_violations(page: Any) -> None:
    page.set_content(
        '<html><head><title>t</title></head><body><main><img src="x.png">'
        '<input type="text"></main></body></html>'
    )
    violations = axe_violations(page)
    rules = {v["id"] for v in violations}
    assert {"html-has-lang", "image-alt", "label"} <= rules
    report = format_violations(violations)
    assert "image-alt" in report and "img" in report


def test_axe_passes_a_clean_page(page: Any) -> None:
    page.set_content(
        '<html lang="fr"><head><title>Propre</title></head><body><main><h1>Bonjour</h1>'
        '<label for="n">Nom</label><input id="n" type="text"></main></body></html>'
    )
    assert axe_violations(page) == []


def test_axe_in_a_page_without_javascript_fails_at_once(browser: Any) -> None:
    """axe-core waits on timers, which never fire without JavaScript: the harness says so
    instead of waiting forever."""
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_content('<html lang="fr"><head><title>t</title></head><body></body></html>')
        with pytest.raises(pytest.fail.Exception, match="axe-core needs JavaScript"):
            axe_violations(page)
    finally:
        context.close()
