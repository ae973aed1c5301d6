"""Today's open conversations, so the agents' inbox has work in it: handoffs the
assistant made for the reasons that matter (bereavement, fraud, anger, an
outage, a customer asking for a person), two an advisor already answers, and
emails waiting for a person. They go through the same services as real traffic
(emails as an MTA would hand them to `ponton receive-email`)."""

from __future__ import annotations

import random
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from django.conf import settings

from ponton.accounts.models import User
from ponton.connectors.email import inbound
from ponton.connectors.webchat import services as webchat
from ponton.conversations import lifecycle
from ponton.conversations.models import Conversation, State, Status
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event
from ponton.knowledge.models import ArticleTranslation
from ponton.knowledge.services import record_feedback
from ponton.workspace import services as workspace

# (language, what they searched first or "", first message, an advisor's answer or "")
SCENARIOS = [
    (
        "fr",
        "résilier décès",
        "Mon père est décédé le mois dernier, je dois résilier son abonnement et je ne sais pas par où commencer.",
        "",
    ),
    (
        "fr",
        "",
        "J'ai reçu un SMS qui me demande mes codes bancaires au nom d'Hirondelle, je crois qu'on m'a piraté mon compte.",
        "",
    ),
    (
        "fr",
        "pas de connexion fibre",
        "C'est la troisième fois que je vous contacte, toujours pas d'internet !!! C'est INADMISSIBLE.",
        "",
    ),
    ("en", "", "I'd like to talk to a human being please.", ""),
    (
        "fr",
        "",
        "Notre standard téléphonique est en panne depuis ce matin, toute l'entreprise est bloquée.",
        "",
    ),
    (
        "fr",
        "offre moins chère",
        "Je vais partir chez un concurrent, ils me proposent la fibre 10 € moins cher.",
        "",
    ),
    (
        "fr",
        "facture double",
        "Je voudrais parler à un conseiller : j'ai été prélevé deux fois ce mois-ci.",
        "Bonjour, je vois bien deux prélèvements le 5. Je lance le remboursement du second, vous le recevrez sous 5 jours ouvrés.",
    ),
    (
        "en",
        "change plan",
        "Can someone call me back about upgrading my plan? I want a person, not a bot.",
        "Hello, happy to help. Which plan are you considering? I can also call you at the number on file.",
    ),
]


# (subject, body, a file attached or None): customers who wrote to the support address.
EMAILS = [
    (
        "Attestation de résiliation pour mon assurance",
        "Bonjour,\n\nMon assurance habitation me demande une attestation de résiliation de ma "
        "ligne fixe (contrat clos le 30 novembre). Pouvez-vous me l'envoyer ?\n\nMerci d'avance,\n",
        (
            "courrier-assurance.pdf",
            b"%PDF-1.4\n% demo\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
        ),
    ),
    (
        "Facture de novembre : montant incompréhensible",
        "Bonjour,\n\nMa facture de novembre est de 74,90 € alors que mon forfait est à 39,99 €. "
        "Je n'ai rien commandé de plus. Merci de m'expliquer.\n\n-- \nEnvoyé de mon iPhone\n",
        None,
    ),
]


def _email(customer: Any, subject: str, body: str, attachment: Any) -> bytes:
    mail = EmailMessage()
    mail["From"] = formataddr((customer.get_full_name(), customer.email))
    mail["To"] = settings.PONTON_SUPPORT_EMAIL
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain=customer.email.rpartition("@")[2])
    mail.set_content(body)
    if attachment is not None:
        name, data = attachment
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return mail.as_bytes()


def open_conversations(customers: list[Any], rng: random.Random) -> int:
    """Start today's conversations for customers picked at random; returns how many."""
    advisors = list(User.objects.filter(username__in=["agent", "agent2"]).order_by("username"))
    chosen = rng.sample(customers, k=min(len(SCENARIOS), len(customers)))
    for (lang, query, text, answer), customer in zip(SCENARIOS, chosen, strict=False):
        if query:
            record_event(
                EventKind.SEARCH,
                customer=customer,
                language=lang,
                data={"query": query, "results": rng.randint(0, 3)},
            )
        conversation = webchat.start(text=text, language=lang, user=customer, visitor_id="")
        if answer and advisors:
            advisor = rng.choice(advisors)
            lifecycle.reply_as_agent(conversation, agent=advisor, text=answer)
            if lang == "en":
                lifecycle.set_status(conversation, status=Status.PENDING, by=advisor)
    writers = [c for c in customers if c.email and c.language == "fr"]
    for (subject, body, attachment), customer in zip(
        EMAILS, rng.sample(writers, k=min(len(EMAILS), len(writers))), strict=False
    ):
        inbound.receive(_email(customer, subject, body, attachment))
    return len(chosen) + min(len(EMAILS), len(writers))


def workspace_examples() -> None:
    """What the workspace shows beyond the queues: the demo customer read an article,
    said what was missing in her own words, then asked for a person; tags on two
    requests; a colleague named in a note."""
    client = User.objects.filter(username="client").first()
    article = ArticleTranslation.objects.filter(
        article__key="forgotten-password", language="fr"
    ).first()
    if client is not None and article is not None:
        record_event(
            EventKind.ARTICLE_VIEW,
            customer=client,
            language="fr",
            data={"article": article.article_id, "title": article.title},
        )
        record_feedback(
            article,
            helpful=False,
            comment="Je ne reçois pas l'e-mail, même dans les spams.",
            customer=client,
            language="fr",
        )
        webchat.start(
            text="Je n'arrive toujours pas à me connecter, je voudrais parler à un conseiller.",
            language="fr",
            user=client,
            visitor_id="",
        )
    open_ones = Conversation.objects.filter(state=State.WAITING_HUMAN).order_by("id")
    for conversation, tag in zip(open_ones, ["deces", "fraude"], strict=False):
        workspace.add_tag(conversation, tag)
    supervisor, agent = (User.objects.filter(username=u).first() for u in ("supervisor", "agent"))
    if supervisor is not None and agent is not None:
        noted = open_ones.filter(team__in=agent.teams.all()).last()
        if noted is not None:
            workspace.add_note(
                noted,
                agent=supervisor,
                text="@agent tu connais ce client : peux-tu t'en occuper en priorité ?",
            )
