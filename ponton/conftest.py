"""Shared personas and a small knowledge base for every test.

Personas (STYLE.md, Tests): two customers (Claire owns things; Bertrand, a
business customer, must not see them), an agent of the front team, an agent
of the business team, a supervisor and an admin. The knowledge base is built
through the service functions, as an editor or an import would build it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.core.cache import cache
from django.db import connections

from ponton.accounts.models import CustomerProfile, Role, Team, User
from ponton.assistant import knowledge_model
from ponton.knowledge.models import Article, ArticleTranslation, Audience, Category, Status
from ponton.knowledge.services import (
    ArticleFields,
    TranslationFields,
    save_article,
    save_translation,
)

# Real mail servers as fixtures for any test: `imap_server` (Dovecot), `smtp_sink`.
pytest_plugins = ["ponton.connectors.email.testing"]

PASSWORD = "Ponton-test-password-42"

# Tests understand with the lexical model alone, unless they ask for the default encoder
# (`ponton.assistant.tests.conftest.e5`): loading and running it would slow every suite.
os.environ.setdefault("PONTON_ENCODER", "lexical")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 is deliberately slow; tests only need a hasher that works."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """The cache (locmem, or Redis when REDIS_URL is set) outlives a test's
    transaction: popular articles and API throttles must not leak between tests."""
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_understanding_models(settings: Any) -> Iterator[None]:
    """Understanding models are cached per process, and a rolled-back test database
    does not change their fingerprint's clock: every test starts without one and
    compares the knowledge base's fingerprint on every call, rebuilding at once (in a
    thread, a rebuild would not see the test's transaction)."""
    settings.PONTON_ASSISTANT_MODEL_CHECK_SECONDS = 0
    settings.PONTON_ASSISTANT_REBUILD_IN_BACKGROUND = False
    knowledge_model.forget()
    yield
    knowledge_model.forget()


@pytest.fixture
def password() -> str:
    """The password every persona signs in with."""
    return PASSWORD


def _team(slug: str, name: str) -> Team:
    team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})
    return team


def _user(username: str, *, role: str, first: str, last: str, **extra: object) -> User:
    return User.objects.create_user(
        username,
        email=f"{username}@example.net",
        password=PASSWORD,
        first_name=first,
        last_name=last,
        role=role,
        **extra,
    )


@pytest.fixture
def customer(db: None) -> User:
    """Claire, a residential customer: she owns the objects in tests."""
    user = _user("claire", role=Role.CUSTOMER, first="Claire", last="Martin", language="fr")
    CustomerProfile.objects.create(
        user=user,
        customer_number="40012345",
        plan="fibre-max",
        modules=["fibre", "tv"],
        segment="residential",
    )
    return user


@pytest.fixture
def other_customer(db: None) -> User:
    """Bertrand, a business customer who must not see Claire's things."""
    user = _user("bertrand", role=Role.CUSTOMER, first="Bertrand", last="Durand", language="fr")
    CustomerProfile.objects.create(
        user=user,
        customer_number="40067890",
        plan="pro",
        modules=["bureau"],
        segment="business",
    )
    return user


@pytest.fixture
def agent(db: None) -> User:
    user = _user("karim", role=Role.AGENT, first="Karim", last="Benali")
    user.teams.add(_team("front", "Accueil et selfcare"))
    return user


@pytest.fixture
def other_team_agent(db: None) -> User:
    user = _user("julie", role=Role.AGENT, first="Julie", last="Moreau")
    user.teams.add(_team("business", "Clients professionnels"))
    return user


@pytest.fixture
def supervisor(db: None) -> User:
    return _user("sophie", role=Role.SUPERVISOR, first="Sophie", last="Renaud")


@pytest.fixture
def admin(db: None) -> User:
    return _user(
        "alex", role=Role.ADMIN, first="Alex", last="Admin", is_staff=True, is_superuser=True
    )


# Pages ---------------------------------------------------------------------------------


class _HumanExits(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "data-human-exit" in attributes:
            self.found.append({"tag": tag, **attributes})


def human_exits(html: str) -> list[dict[str, str | None]]:
    """The elements of a page that carry `data-human-exit`: the way to a person."""
    parser = _HumanExits()
    parser.feed(html)
    return parser.found


def has_human_exit(html: str, lang: str = "fr") -> bool:
    """True if the page offers a person; a link must stay in the page's language."""
    return any(
        not exit.get("href") or str(exit["href"]).startswith(f"/{lang}/")
        for exit in human_exits(html)
    )


# The knowledge base ------------------------------------------------------------------


@dataclass
class KB:
    account: Category
    billing: Category
    wifi: Category
    business: Category
    empty: Category
    password: Article
    password_fr: ArticleTranslation
    password_en: ArticleTranslation
    invoice: Article
    invoice_fr: ArticleTranslation
    invoice_en: ArticleTranslation
    wifi_password: Article
    wifi_password_fr: ArticleTranslation
    signed_in: Article
    signed_in_fr: ArticleTranslation
    business_only: Article
    business_only_fr: ArticleTranslation
    business_only_en: ArticleTranslation
    draft: Article
    draft_fr: ArticleTranslation


def make_article(
    key: str,
    category: Category,
    author: User,
    translations: dict[str, TranslationFields],
    **fields: Any,
) -> tuple[Article, dict[str, ArticleTranslation]]:
    article = save_article(key=key, fields=ArticleFields(category=category, owner=author, **fields))
    saved = {
        lang: save_translation(article=article, language=lang, fields=tf, author=author)
        for lang, tf in translations.items()
    }
    return article, saved


PUBLISHED = Status.PUBLISHED


@pytest.fixture
def kb(db: None, agent: User) -> KB:
    """A small help center: password (FR+EN), invoice (FR+EN), wifi password,
    a signed-in-only article, a business-only article and a draft."""
    account = Category.objects.create(
        slug="account-access",
        icon="key",
        position=0,
        name_fr="Compte et accès",
        name_en="Account and access",
    )
    billing = Category.objects.create(
        slug="billing-payment",
        icon="receipt",
        position=1,
        name_fr="Factures et paiement",
        name_en="Invoices and payment",
    )
    wifi = Category.objects.create(
        slug="box-wifi", icon="wifi", position=2, name_fr="Box et wifi", name_en="Box and wifi"
    )
    business = Category.objects.create(
        slug="business-suite",
        icon="briefcase",
        position=3,
        name_fr="Hirondelle Bureau",
        name_en="Hirondelle Bureau",
    )
    empty = Category.objects.create(
        slug="outages", icon="alert", position=4, name_fr="Pannes", name_en="Outages"
    )

    password, password_t = make_article(
        "forgotten-password",
        account,
        agent,
        {
            "fr": TranslationFields(
                title="Mot de passe oublié : le réinitialiser",
                body=(
                    "Utilisez le lien **« Mot de passe oublié ? »** sur la page de connexion : "
                    "vous recevez un e-mail pour choisir un nouveau mot de passe.\n\n"
                    "1. Ouvrez votre espace client.\n"
                    "2. Touchez « Mot de passe oublié ? ».\n"
                    "3. Suivez le lien reçu par e-mail, valable une heure.\n"
                ),
                questions=[
                    "J'ai oublié mon mot de passe",
                    "mdp oublié",
                    "réinitialiser mon mot de passe",
                ],
                status=PUBLISHED,
            ),
            "en": TranslationFields(
                title="Forgotten password: reset it",
                body=(
                    "Use the **Forgotten password?** link on the sign-in page: you receive an email "
                    "to choose a new password.\n\n"
                    "1. Open your customer account.\n"
                    "2. Tap *Forgotten password?*.\n"
                    "3. Follow the link in the email, valid for one hour.\n"
                ),
                questions=[
                    "I forgot my password",
                    "reset my password",
                    "can't sign in, lost password",
                ],
                status=PUBLISHED,
            ),
        },
    )
    invoice, invoice_t = make_article(
        "download-invoice",
        billing,
        agent,
        {
            "fr": TranslationFields(
                title="Télécharger une facture",
                body="Vos factures sont dans **Mon Espace > Factures**, au format PDF, sur 24 mois.\n",
                questions=["Où trouver ma facture ?", "télécharger ma facture en PDF"],
                status=PUBLISHED,
            ),
            "en": TranslationFields(
                title="Download an invoice",
                body="Your invoices are in **My Account > Invoices** as PDFs, for 24 months.\n",
                questions=["Where is my invoice?", "download my bill as a PDF"],
                status=PUBLISHED,
            ),
        },
    )
    wifi_password, wifi_t = make_article(
        "change-wifi-password",
        wifi,
        agent,
        {
            "fr": TranslationFields(
                title="Changer le mot de passe du wifi",
                body="Le mot de passe du wifi est sous la box. Pour le changer, ouvrez l'interface de la box.\n",
                questions=["changer la clé wifi"],
                status=PUBLISHED,
            ),
            "en": TranslationFields(
                title="Change your wifi password",
                body="The wifi password is under the box. To change it, open the box settings.\n",
                questions=["change the wifi key"],
                status=PUBLISHED,
            ),
        },
    )
    signed_in, signed_in_t = make_article(
        "change-bank-details",
        billing,
        agent,
        {
            "fr": TranslationFields(
                title="Modifier mes coordonnées bancaires",
                body="Dans Mon Espace, ouvrez **Paiement** et saisissez votre nouvel IBAN.\n",
                questions=["changer d'IBAN", "nouveau compte bancaire prélèvement"],
                status=PUBLISHED,
            ),
        },
        audience=Audience.SIGNED_IN,
    )
    business_only, business_t = make_article(
        "sso-setup",
        business,
        agent,
        {
            "fr": TranslationFields(
                title="Configurer l'authentification unique SSO",
                body="Dans la console Hirondelle Bureau, ouvrez **Sécurité > SSO** et collez l'URL SAML.\n",
                questions=["activer le SSO SAML"],
                status=PUBLISHED,
            ),
            "en": TranslationFields(
                title="Set up single sign-on SSO",
                body="In the Hirondelle Bureau console, open **Security > SSO** and paste the SAML URL.\n",
                questions=["enable SAML SSO"],
                status=PUBLISHED,
            ),
        },
        segments=["business"],
    )
    draft, draft_t = make_article(
        "referral-programme",
        billing,
        agent,
        {
            "fr": TranslationFields(
                title="Parrainage : offrir un mois gratuit",
                body="Le parrainage récompense le filleul et le parrain par un mois gratuit.\n",
                questions=["code parrainage ami"],
                status=Status.DRAFT,
            ),
        },
    )
    return KB(
        account=account,
        billing=billing,
        wifi=wifi,
        business=business,
        empty=empty,
        password=password,
        password_fr=password_t["fr"],
        password_en=password_t["en"],
        invoice=invoice,
        invoice_fr=invoice_t["fr"],
        invoice_en=invoice_t["en"],
        wifi_password=wifi_password,
        wifi_password_fr=wifi_t["fr"],
        signed_in=signed_in,
        signed_in_fr=signed_in_t["fr"],
        business_only=business_only,
        business_only_fr=business_t["fr"],
        business_only_en=business_t["en"],
        draft=draft,
        draft_fr=draft_t["fr"],
    )


# Browser tests ----------------------------------------------------------------------
# Debian's Chromium driven by Playwright. Skipped when it is not installed, unless
# PONTON_REQUIRE_BROWSER=1 (as in CI), where its absence is a failure.

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _unavailable(reason: str) -> None:
    if os.environ.get("PONTON_REQUIRE_BROWSER") == "1":
        pytest.fail(f"PONTON_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    # A bound on waiting, as the pages' default timeout is: what a page shows is checked, never
    # how fast (a first answer trains the assistant, slower on a machine running two suites).
    expect.set_options(timeout=10_000)
    # Playwright's sync API runs an event loop in this thread; Django's ORM
    # refuses to run under one unless told it is safe (the test thread is the
    # only one using this connection while the browser waits).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


T = TypeVar("T")


def off_loop(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `work` in a thread of its own: Playwright's sync API keeps an event loop in
    the test's thread, where the realtime pushes after commit (async_to_sync) may not run."""

    def closing() -> T:
        try:
            return work(*args, **kwargs)
        finally:
            connections.close_all()  # the thread's own connection, not left open

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(closing).result()


def exits_in_viewport_js(scope: str = "") -> str:
    """JavaScript counting the [data-human-exit] elements under `scope` shown whole in the
    viewport, in the page and in its open shadow roots (the chat widget lives in one)."""
    selector = f"{scope} [data-human-exit]".strip()
    return (
        "() => [document, ...Array.from(document.querySelectorAll('*'), (h) => h.shadowRoot)]"
        f".filter(Boolean).flatMap((r) => Array.from(r.querySelectorAll({selector!r})))"
        ".filter((e) => {"
        "const r = e.getBoundingClientRect(), s = getComputedStyle(e);"
        'return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"'
        " && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;"
        "}).length"
    )


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    folder = Path(request.config.rootpath) / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[str]:
    """The whole ASGI application (HTTP and websockets) served by uvicorn in a thread,
    on the test database: what `live_server` is for WSGI pages, for realtime pages."""
    import socket
    import threading
    import time

    import uvicorn

    from ponton.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("The ASGI server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        # The next test's server is a new process in all but name: it gets its own channel
        # layer, not one a socket of this server (its event loop maybe still closing) waits on.
        from channels.layers import channel_layers

        channel_layers.backends.clear()
