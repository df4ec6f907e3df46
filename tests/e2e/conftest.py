"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Reusable fixtures for every journey (console, first connection, recovery, SSO):

- ``browser``: one headless Chromium for the whole session (``/usr/bin/chromium``, or the path
  in ``PREAU_CHROMIUM``). A missing browser FAILS the tests, with how to install it: a journey
  that silently skips proves nothing.
- ``page``: a fresh browser context (no cookies, French, downloads allowed) and its page;
  ``phone_page`` the same with a phone's small screen and touch.
- ``server``: the live server's base URL (pytest-django's ``live_server``, which makes the
  test use ``transactional_db``); ``url("/console/")`` builds absolute URLs.
- ``axe``: ``axe(page)`` runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is and
  fails the test on any violation, listing each rule, its impact and the offending elements.
- ``signin(page, login, password, next="/")``: the real sign-in page at /connexion.
- ``choose(page, label)`` (a function): tick a DSFR radio button or checkbox by its label.

Playwright's sync API runs an event loop in the test's thread; Django refuses ORM calls from
such a thread unless told that it is safe, which it is here (one thread, one test at a time).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_HELP = (
    "Chromium is needed for the browser tests and was not found at {path}. Install Debian's "
    "package (`apt-get install chromium`, or `make browser` as root), or point PREAU_CHROMIUM "
    "at a Chromium/Chrome executable. Playwright's own browser download is not used."
)

# axe-core rule tags checked on every page: WCAG 2.0 and 2.1, levels A and AA (RGAA's ground).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_path() -> str:
    configured = os.environ.get("PREAU_CHROMIUM", "")
    if configured:
        return configured
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is a browser test, marked ``e2e`` (``-m "not e2e"`` skips)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def chromium_or_fail() -> str:
    """The Chromium executable, or a failed test saying how to install it (never a skip)."""
    path = chromium_path()
    if not Path(path).is_file():
        pytest.fail(CHROMIUM_HELP.format(path=path), pytrace=False)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_or_fail()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=path,
                headless=True,
                args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            )
        except Exception as exc:  # the browser exists but does not start
            pytest.fail(f"{CHROMIUM_HELP.format(path=path)}\nLaunch error: {exc}", pytrace=False)
        yield chromium
        chromium.close()


def _context_page(browser: Any, **options: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", accept_downloads=True, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from _context_page(browser, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    yield from _context_page(
        browser, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )


@pytest.fixture
def server(live_server: Any) -> str:
    return str(live_server.url)


@pytest.fixture
def public_site(settings: Any, server: str, immediate_tasks: None) -> str:
    """Préau's public address is the live server's (the links of its mails and letters), and
    mails leave at once: the journeys that read a mail."""
    settings.PREAU = {**settings.PREAU, "PUBLIC_URL": server}
    return server


@pytest.fixture
def url(server: str) -> Callable[[str], str]:
    def build(path: str) -> str:
        return server + path

    return build


def _timers_fire(page: Any) -> bool:
    """Whether the page's scripts run: axe-core waits on timers, which never fire in a context
    without JavaScript (its evaluate would then wait forever)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(
        "() => { window.__preauTick = false; setTimeout(() => { window.__preauTick = true; }, 0); }"
    )
    try:
        page.wait_for_function("() => window.__preauTick === true", timeout=3000)
    except PlaywrightTimeout:
        return False
    return True


def axe_violations(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    if not _timers_fire(page):
        pytest.fail(
            "axe-core needs JavaScript: check this page in a context with JavaScript, and its "
            "no-JavaScript behaviour separately",
            pytrace=False,
        )

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    return list(results.response["violations"])


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node.get('target')}: {node.get('failureSummary', '')!s}"[:400])
    return "\n".join(lines)


@pytest.fixture
def axe() -> Callable[..., None]:
    """``axe(page, label="")``: fail the test on any axe-core violation of the current page."""

    def check(page: Any, label: str = "") -> None:
        violations = axe_violations(page)
        if violations:
            where = label or page.url
            pytest.fail(
                f"Accessibility violations on {where}:\n{format_violations(violations)}",
                pytrace=False,
            )

    return check


def sign_in(page: Any, server: str, login: str, password: str, next: str = "/") -> None:
    """Sign in through the real page, then wait for the page ``next`` to load."""
    from urllib.parse import quote

    page.goto(f"{server}/connexion?next={quote(next)}")
    page.fill("#username", login)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#fm1 button[type=submit]")


def choose(page: Any, label: str) -> None:
    """Tick a radio button or a checkbox the way a person does: on its label (the DSFR draws
    the control in the label's place, over the native input)."""
    page.locator("label").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).click()
    assert page.get_by_label(label, exact=True).is_checked(), label


@pytest.fixture
def signin(server: str) -> Callable[..., None]:
    """``signin(page, login, password, next="/")`` through the real sign-in page."""

    def run(page: Any, login: str, password: str, next: str = "/") -> None:
        sign_in(page, server, login, password, next)

    return run
