"""The consent banner in a real Chromium at the narrowest phone width: the way to a person
stays on screen and uncovered, both answers are alike, reachable by keyboard, and the
banner works without JavaScript.

Skipped when Debian's Chromium is not installed, unless PONTON_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ponton.conftest import KB, exits_in_viewport_js

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
EXITS_IN_VIEWPORT = exits_in_viewport_js()
# An exit counts only if it is the element actually under its own centre: nothing covers it.
EXITS_UNCOVERED = (
    "() => Array.from(document.querySelectorAll('[data-human-exit]')).filter((e) => {"
    "const r = e.getBoundingClientRect();"
    "if (r.width <= 0 || r.height <= 0 || r.top < 0 || r.left < 0"
    " || r.bottom > innerHeight || r.right > innerWidth) return false;"
    "const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
    "return top !== null && (top === e || e.contains(top));"
    "}).length"
)
WIDEST = "() => Math.max(document.documentElement.scrollWidth, innerWidth)"


def _phone(browser: Any, *, javascript: bool = True) -> Iterator[Any]:
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        java_script_enabled=javascript,
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    yield from _phone(browser)


@pytest.fixture
def phone_without_js(browser: Any) -> Iterator[Any]:
    yield from _phone(browser, javascript=False)


def _cookies(page: Any) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies()}


def test_the_banner_leaves_the_way_to_a_person_visible_and_uncovered_at_320px(
    phone: Any, live_server: Any, kb: KB, artifacts: Path
) -> None:
    for path in ("/fr/", "/fr/search?q=facture", f"/fr/a/{kb.invoice_fr.slug}/", "/en/"):
        phone.goto(live_server.url + path)
        banner = phone.locator("[data-consent-banner]")
        assert banner.is_visible(), path
        assert phone.evaluate(WIDEST) <= PHONE["width"], path
        assert phone.evaluate(EXITS_IN_VIEWPORT) >= 1, path
        assert phone.evaluate(EXITS_UNCOVERED) >= 1, path
        if path == "/fr/":
            phone.screenshot(path=artifacts / "consent-banner-320.png")
        phone.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        assert phone.evaluate(EXITS_UNCOVERED) >= 1, f"{path}, scrolled to the end"
    assert "ponton_visitor" not in _cookies(phone)


def test_refusing_is_as_easy_as_accepting_and_works_from_the_keyboard(
    phone: Any, live_server: Any, kb: KB
) -> None:
    from playwright.sync_api import expect

    phone.goto(f"{live_server.url}/fr/")
    banner = phone.get_by_role("region", name="Relier votre navigation à votre compte ?")
    accept = banner.get_by_role("button", name="Accepter")
    refuse = banner.get_by_role("button", name="Refuser")
    accept_box, refuse_box = accept.bounding_box(), refuse.bounding_box()
    assert accept_box is not None and refuse_box is not None
    assert (round(accept_box["width"]), round(accept_box["height"])) == (
        round(refuse_box["width"]),
        round(refuse_box["height"]),
    )
    assert banner.get_by_role("link", name="Ce que nous gardons").get_attribute("href") == (
        "/fr/privacy/"
    )

    for _ in range(60):  # Tab from the top of the page until the refusal has the focus
        phone.keyboard.press("Tab")
        if phone.evaluate("() => document.activeElement.value") == "refuse":
            break
    else:
        pytest.fail("the Refuse button cannot be reached with the keyboard")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")

    expect(phone.locator("[data-consent-banner]")).to_have_count(0)
    expect(phone.get_by_role("status").first).to_contain_text("rien ne relie")
    cookies = _cookies(phone)
    assert cookies["ponton_consent"] == "refused"
    assert "ponton_visitor" not in cookies


def test_the_banner_works_without_javascript_and_consent_is_revocable_from_the_footer(
    phone_without_js: Any, live_server: Any, kb: KB
) -> None:
    page = phone_without_js
    page.goto(f"{live_server.url}/fr/search?q=facture")
    with page.expect_navigation():
        page.locator("[data-consent-banner]").get_by_role("button", name="Accepter").click()
    assert page.url.endswith("/fr/search?q=facture")
    assert page.locator("[data-consent-banner]").count() == 0
    assert _cookies(page)["ponton_consent"] == "accepted"
    assert "ponton_visitor" in _cookies(page)

    with page.expect_navigation():
        page.locator("footer").get_by_role("link", name="Cookies et vie privée").click()
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Refuser").click()
    assert _cookies(page)["ponton_consent"] == "refused"
    assert "ponton_visitor" not in _cookies(page)
