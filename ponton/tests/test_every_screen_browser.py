"""Law 1 on every screen: every customer page of the demo, at phone widths and on a desktop,
in French and English, fits the screen and shows the way to a person without scrolling, and
the chat widget fits the screen when it is open.

Each page is loaded once per device (a phone, then a desktop) and measured at each width by
resizing, which lays it out again: the whole walk takes well under a minute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from ponton.conftest import exits_in_viewport_js, off_loop
from ponton.conversations import lifecycle
from ponton.conversations.models import ConversationChannel
from ponton.demo.loader import load_demo
from ponton.knowledge.models import ArticleTranslation, Audience, Category, Status
from ponton.status import services as status

pytestmark = pytest.mark.browser

PHONE_WIDTHS = (320, 360, 390, 430)
PHONE_HEIGHT = 640
DESKTOP = {"width": 1280, "height": 800}
EXITS_IN_VIEWPORT = exits_in_viewport_js()
# On a phone an overflowing page widens the layout viewport (innerWidth) itself: compare
# with the screen's width instead.
WIDEST = "() => Math.max(document.documentElement.scrollWidth, innerWidth)"
SCROLL_TO_END = "() => window.scrollTo(0, document.documentElement.scrollHeight)"


@dataclass
class Walk:
    artifacts: Path
    failures: list[str] = field(default_factory=list)
    with_banner: int = 0

    def fail(self, page: Any, path: str, width: int, what: str) -> None:
        self.failures.append(f"{path} at {width}px: {what}")
        name = re.sub(r"[^a-z0-9]+", "-", f"{path}-{width}").strip("-")
        page.screenshot(path=self.artifacts / f"screen-{name}.png")

    def check(self, page: Any, path: str, width: int) -> None:
        page.evaluate("() => window.scrollTo(0, 0)")
        self.with_banner += page.locator("[data-incident-banner]").count() > 0
        overflow = page.evaluate(WIDEST) - width
        if overflow > 0:
            self.fail(page, path, width, f"{overflow}px wider than the screen")
        if page.evaluate(EXITS_IN_VIEWPORT) < 1:
            self.fail(page, path, width, "no way to a person on screen")
        page.evaluate(SCROLL_TO_END)
        if page.evaluate(EXITS_IN_VIEWPORT) < 1:
            self.fail(page, path, width, "the way to a person scrolls away")

    def check_widget(self, page: Any, path: str, width: int) -> None:
        page.evaluate("() => window.scrollTo(0, 0)")
        launcher = page.locator(".pw-launcher")
        if not launcher.count():  # the contact form is itself the way to a person
            return
        if not _inside(launcher.bounding_box(), width, page.viewport_size["height"]):
            self.fail(page, path, width, "the chat button is off the screen")
            return
        launcher.click()
        panel = page.locator("#pw-panel")
        panel.wait_for(state="visible")
        height = page.viewport_size["height"]
        for what, selector in (
            ("the way to a person", ".pw-head [data-human-exit]"),
            ("the close button", ".pw-close"),
            ("the send button", ".pw-send"),
            ("the message field", ".pw-input"),
        ):
            if not _inside(panel.locator(selector).bounding_box(), width, height):
                self.fail(page, path, width, f"{what} of the open chat is off screen")
        panel.locator(".pw-close").click()


def _inside(box: dict[str, float] | None, width: int, height: int) -> bool:
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width + 0.5
        and box["y"] + box["height"] <= height + 0.5
    )


def _kind(path: str) -> str:
    """Pages of one kind share a template: the open widget is checked once per kind."""
    return re.sub(r"/(a|c|requests)/[^/]+/", r"/\1/*/", path)


def _articles(audience: str) -> list[str]:
    translations = ArticleTranslation.objects.filter(
        status=Status.PUBLISHED, article__audience=audience
    )
    return [
        f"/{lang}/a/{slug}/"
        for lang, slug in translations.order_by("language", "slug").values_list("language", "slug")
    ]


def _customer_pages() -> list[str]:
    paths = _articles(Audience.PUBLIC)
    for lang in ("fr", "en"):
        paths += [f"/{lang}/c/{c.url_slug(lang)}/" for c in Category.objects.all()]
        paths += [
            f"/{lang}/",
            f"/{lang}/search?q=facture" if lang == "fr" else f"/{lang}/search?q=invoice",
            f"/{lang}/search?q=zqxjwv",
            f"/{lang}/contact/",
            f"/{lang}/accounts/login/",
            f"/{lang}/account/sign-in-link/",
            f"/{lang}/status/",
        ]
    return paths


def _signed_in_pages(conversation_id: int) -> list[str]:
    return _articles(Audience.SIGNED_IN) + [
        f"/{lang}/account/{page}"
        for lang in ("fr", "en")
        for page in ("", f"requests/{conversation_id}/", "preferences/", "callback/")
    ]


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/fr/accounts/login/")
    page.fill("input[name=username]", "client")
    page.fill("input[name=password]", "demo")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


def _load_demo_with_one_request() -> int:
    load_demo(with_history=False)
    client = get_user_model().objects.get(username="client")
    # A business customer with every product, so that every targeted article is theirs.
    profile = client.profile
    profile.segment, profile.modules = "business", ["fibre", "tv", "mobile", "bureau"]
    profile.save()
    # An incident open: its banner is on every page, beside the way to a person.
    status.declare_incident(
        status.IncidentFields(
            title_fr="Coupure de la fibre dans le quartier Saint-Michel et alentours",
            title_en="Fibre outage in the Saint-Michel area and around it",
            message_fr="Nos techniciens sont sur place ; le service revient progressivement.",
            message_en="Our technicians are on site; service is coming back gradually.",
            impact="major_outage",
            components=["fibre-internet"],
        ),
        by=None,
    )
    opened = lifecycle.open_conversation(
        channel=ConversationChannel.WEB_FORM,
        first_message="Ma box redémarre toute seule plusieurs fois par jour depuis le "
        "changement de forfait, https://espace.hirondelle.example/assistance/diagnostic",
        customer=client,
        wants_person=True,
    )
    return opened.conversation.pk


@pytest.fixture
def demo(transactional_db: None) -> int:
    return off_loop(_load_demo_with_one_request)


def test_every_customer_page_fits_every_screen_and_keeps_the_way_to_a_person(
    browser: Any, live_server: Any, demo: int, artifacts: Path
) -> None:
    public = _customer_pages()
    account_pages = _signed_in_pages(demo)
    assert len(public) > 150
    walk = Walk(artifacts)

    for device, widths in (("phone", PHONE_WIDTHS), ("desktop", (DESKTOP["width"],))):
        first = widths[0]
        context = browser.new_context(
            viewport={"width": first, "height": PHONE_HEIGHT if device == "phone" else 800},
            is_mobile=device == "phone",
            has_touch=device == "phone",
            locale="fr-FR",
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            for signed_in, paths in ((False, public), (True, account_pages)):
                if signed_in:
                    _sign_in(page, live_server.url)
                widget_checked: set[str] = set()
                for path in paths:
                    response = page.goto(live_server.url + path)
                    assert response is not None and response.ok, (path, response)
                    kind = _kind(path)
                    for width in widths:
                        height = page.viewport_size["height"]
                        page.set_viewport_size({"width": width, "height": height})
                        walk.check(page, path, width)
                        if kind not in widget_checked:
                            walk.check_widget(page, path, width)
                    widget_checked.add(kind)
        finally:
            context.close()

    assert not walk.failures, f"{len(walk.failures)} failures:\n" + "\n".join(walk.failures)
    assert walk.with_banner > len(public), "the open incident's banner was on the pages walked"
