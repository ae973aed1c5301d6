"""The email parser against a corpus of real-world-shaped mails, and its rules one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from ponton.connectors.email.html_text import html_to_text
from ponton.connectors.email.parsing import (
    ParsedEmail,
    UnparseableEmail,
    parse,
    strip_subject_prefixes,
)

MAILS = Path(__file__).parent / "mails"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((MAILS / "expected.yaml").read_text("utf-8"))
OUTCOMES = {"created", "appended", "duplicate", "ignored", "unparseable"}


def _parse_file(name: str) -> ParsedEmail:
    return parse((MAILS / name).read_bytes())


def _mail(*headers: str, body: str = "Bonjour,\n\nMa question.\n", content_type: str = "") -> bytes:
    lines = [
        "From: Client <client@example.fr>",
        "To: support@support.example.com",
        "Message-ID: <q1@example.fr>",
        "Date: Thu, 3 Dec 2026 10:00:00 +0100",
        "MIME-Version: 1.0",
        content_type or "Content-Type: text/plain; charset=utf-8",
        *headers,
    ]
    return ("\n".join(lines) + "\n\n" + body).encode("utf-8")


# The corpus ----------------------------------------------------------------------------------


def test_every_mail_of_the_corpus_has_expectations_and_every_expectation_a_mail() -> None:
    files = {path.name for path in MAILS.glob("*.eml")}
    assert files == set(EXPECTED)
    assert len(files) >= 32


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_corpus_mail_parses_as_expected(name: str) -> None:
    expected = EXPECTED[name]
    assert expected["outcome"] in OUTCOMES
    if expected["outcome"] == "unparseable":
        with pytest.raises(UnparseableEmail):
            _parse_file(name)
        return
    parsed = _parse_file(name)
    for field in ("kind", "from_address", "from_name", "subject", "language", "message_id"):
        if field in expected:
            assert getattr(parsed, field) == expected[field], field
    assert parsed.kind_reason == expected.get("kind_reason", parsed.kind_reason)
    if parsed.kind == "message":
        assert parsed.kind_reason == ""
    for field in ("in_reply_to", "to", "bounced_recipients"):
        if field in expected:
            assert list(getattr(parsed, field)) == expected[field], field
    assert parsed.bounced_message_id == expected.get("bounced_message_id", "")
    if "header_anomalies" in expected:
        assert bool(parsed.header_anomalies) is expected["header_anomalies"]
    for text in expected.get("clean_text_contains", []):
        assert text in parsed.clean_text
    for text in expected.get("clean_text_excludes", []):
        assert text not in parsed.clean_text
    assert [attachment.filename for attachment in parsed.attachments] == expected["attachments"]
    if "inline" in expected:
        assert [attachment.inline for attachment in parsed.attachments] == expected["inline"]
    if parsed.text.strip():
        assert parsed.clean_text.strip()


def test_outcomes_that_follow_an_earlier_mail_name_it_and_thread_on_its_message_id() -> None:
    order = list(EXPECTED)
    for name, expected in EXPECTED.items():
        if expected["outcome"] not in ("appended", "duplicate"):
            assert "after" not in expected, name
            continue
        earlier = expected["after"]
        assert order.index(earlier) < order.index(name), name
        earlier_id = _parse_file(earlier).message_id
        parsed = _parse_file(name)
        if expected["outcome"] == "duplicate":
            assert parsed.message_id == earlier_id, name
        else:
            assert earlier_id in (*parsed.in_reply_to, *parsed.references), name


def test_ignored_corpus_mails_are_automatic_or_from_a_staff_looking_address() -> None:
    for name, expected in EXPECTED.items():
        if expected["outcome"] == "ignored":
            parsed = _parse_file(name)
            staff_looking = parsed.from_address.endswith("@support.example.com")
            assert parsed.kind != "message" or staff_looking, name


# Quoted history and signatures --------------------------------------------------------------


def test_outlook_french_quote_header_is_stripped_from_what_agents_read() -> None:
    parsed = _parse_file("03-outlook-fr-reply-cp1252.eml")
    assert "Pouvez-vous me confirmer la date" in parsed.clean_text
    assert "De : Support Ponton" not in parsed.clean_text
    assert "De : Support Ponton" in parsed.text


def test_outlook_french_quote_header_is_stripped_from_an_html_only_reply() -> None:
    html = (
        "<p>Merci, c'est reçu.</p><div style='border-top:solid #E1E1E1 1pt'><p>"
        "<b>De&nbsp;:</b> Support Ponton &lt;support@support.example.com&gt;<br>"
        "<b>Envoyé&nbsp;:</b> lundi 30 novembre 2026 16:40<br><b>À&nbsp;:</b> Client<br>"
        "<b>Objet&nbsp;:</b> Votre demande</p></div><p>Ancien message</p>"
    )
    raw = _mail(body=html, content_type="Content-Type: text/html; charset=utf-8")
    parsed = parse(raw)
    assert parsed.clean_text == "Merci, c'est reçu."
    assert "Ancien message" in parsed.text


def test_gmail_attribution_wrapped_over_two_lines_is_still_recognised() -> None:
    parsed = _parse_file("02-gmail-reply-fr.eml")
    assert parsed.clean_text.endswith("Amélie")
    assert "Le mar. 1 déc. 2026" not in parsed.clean_text


def test_an_html_blockquote_is_quoted_history_too() -> None:
    html = (
        "<div>Oui, merci.</div><div class='gmail_quote'><div>On Tue, Dec 1, 2026 at 10:12 AM "
        "Support &lt;s@x.example&gt; wrote:</div><blockquote>Old answer</blockquote></div>"
    )
    parsed = parse(_mail(body=html, content_type="Content-Type: text/html; charset=utf-8"))
    assert parsed.clean_text == "Oui, merci."


def test_the_signature_after_the_dash_dash_space_line_is_not_what_agents_read() -> None:
    parsed = _parse_file("06-thunderbird-signature.eml")
    assert parsed.clean_text.endswith("Cordialement,")
    assert "06 12 34 56 78" in parsed.text


def test_a_forwarded_mail_keeps_what_it_forwards() -> None:
    parsed = _parse_file("13-outlook-forward-tr-fr.eml")
    assert "rejeté pour le motif MD01" in parsed.clean_text
    assert "Objet : Rejet de prélèvement SEPA" in parsed.clean_text


def test_a_forward_inside_the_history_of_a_reply_is_not_kept() -> None:
    body = (
        "Merci pour votre retour.\n\n"
        "Le mer. 2 déc. 2026 à 09:00, Support <s@x.example> a écrit :\n"
        "> ---------- Forwarded message ---------\n> Ancien contenu\n"
    )
    assert parse(_mail(body=body)).clean_text == "Merci pour votre retour."


def test_a_mail_that_is_all_quote_is_read_whole_rather_than_not_at_all() -> None:
    body = "> Bonjour,\n> Voici la réponse.\n"
    parsed = parse(_mail(body=body))
    assert parsed.clean_text == body.strip()


@pytest.mark.parametrize(
    "footer", ["Envoyé de mon iPhone", "Sent from my iPhone", "Obtenir Outlook pour iOS"]
)
def test_mobile_footers_are_not_what_agents_read(footer: str) -> None:
    parsed = parse(_mail(body=f"Le colis est arrivé abîmé.\n\n{footer}\n"))
    assert parsed.clean_text == "Le colis est arrivé abîmé."


# Headers ------------------------------------------------------------------------------------


def test_a_header_that_decodes_to_a_line_break_is_flagged() -> None:
    parsed = _parse_file("24-crlf-injection.eml")
    assert "Subject contains a line break after decoding" in parsed.header_anomalies
    assert "From display name contains a line break after decoding" in parsed.header_anomalies
    assert "\n" not in parsed.subject and "\r" not in parsed.subject
    assert "\n" not in parsed.from_name and "\r" not in parsed.from_name


def test_two_from_headers_are_flagged_and_the_first_is_the_sender() -> None:
    parsed = _parse_file("25-two-from-headers.eml")
    assert parsed.header_anomalies == ("2 From headers",)
    assert parsed.from_address == "valerie.simon@exemple-client.fr"


def test_a_from_with_several_addresses_is_flagged() -> None:
    parsed = _parse_file("38-from-several-addresses.eml")
    assert parsed.header_anomalies == ("From has several addresses",)


def test_a_from_without_a_valid_address_is_unparseable() -> None:
    raw = _mail().replace(b"From: Client <client@example.fr>", b"From: Client <pas-une-adresse>")
    with pytest.raises(UnparseableEmail):
        parse(raw)


def test_the_recipients_include_the_delivery_headers_where_plus_address_tokens_show() -> None:
    parsed = _parse_file("15-plus-address-reply.eml")
    assert parsed.recipients == ("support+r-7f3k9q2mx8@support.example.com",)
    parsed = parse(
        _mail(
            "Cc: Autre <Autre@Example.fr>",
            "Delivered-To: support+r-abc123@support.example.com",
            "X-Original-To: support+r-abc123@support.example.com",
            "Envelope-To: support+r-def456@support.example.com",
        )
    )
    assert parsed.to == ("support@support.example.com",)
    assert parsed.recipients == (
        "support@support.example.com",
        "autre@example.fr",
        "support+r-abc123@support.example.com",
        "support+r-def456@support.example.com",
    )


def test_a_mail_without_message_id_gets_the_same_synthetic_id_each_time_it_arrives() -> None:
    raw = (MAILS / "16-no-message-id.eml").read_bytes()
    first = parse(raw).message_id
    relayed_again = b"Received: from mx2.example (mx2.example [192.0.2.1])\n" + raw
    assert parse(raw).message_id == first
    assert parse(relayed_again.replace(b"\n", b"\r\n")).message_id == first
    assert first.startswith("synthetic.") and first.endswith("@ponton.invalid")
    other = parse(raw.replace(b"erreur 429", b"erreur 500")).message_id
    assert other != first


def test_ids_are_kept_verbatim_without_angle_brackets() -> None:
    parsed = _parse_file("14-reply-to-ponton-id.eml")
    assert parsed.references == (
        "ponton.42.1001.abcdef@support.example.com",
        "ponton.42.1004.9f8e7d@support.example.com",
    )


def test_the_date_is_aware_even_when_the_zone_is_unknown() -> None:
    raw = _mail().replace(b"+0100", b"-0000")
    assert parse(raw).date == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert parse(_mail().replace(b"Date: Thu", b"Date: n'importe quoi Thu")).date is None


def test_an_undeclared_8bit_subject_and_body_are_read_as_windows_1252() -> None:
    parsed = _parse_file("30-undeclared-charset.eml")
    assert parsed.subject == "Problème facture novembre"
    assert "supprimé" in parsed.text


@pytest.mark.parametrize(
    ("subject", "stripped"),
    [
        ("Re: Ma commande", "Ma commande"),
        ("RE : TR: Fwd: Ma commande", "Ma commande"),
        ("Réf. : Ma commande", "Ma commande"),
        ("AW: WG: Rechnung", "Rechnung"),
        ("Fw: Re[2]: Facture", "Facture"),
        ("Résolution : rien à retirer", "Résolution : rien à retirer"),
        ("Resiliation", "Resiliation"),
    ],
)
def test_reply_and_forward_prefixes_are_stripped_from_subjects(subject: str, stripped: str) -> None:
    assert strip_subject_prefixes(subject) == stripped


# Classification -----------------------------------------------------------------------------


def test_an_out_of_office_subject_alone_does_not_make_an_auto_reply() -> None:
    parsed = parse(_mail("Subject: Out of Office: question about my invoice"))
    assert parsed.kind == "message"


def test_auto_response_suppress_alone_does_not_make_an_auto_reply() -> None:
    # Notification systems set it on ordinary mail to ask *us* not to auto-answer.
    parsed = parse(_mail("Subject: Ma facture", "X-Auto-Response-Suppress: All"))
    assert parsed.kind == "message"


def test_auto_response_suppress_with_an_out_of_office_subject_is_an_auto_reply() -> None:
    raw = _mail("Subject: Réponse automatique : Ma facture", "X-Auto-Response-Suppress: All")
    parsed = parse(raw)
    assert (parsed.kind, parsed.kind_reason) == (
        "auto_reply",
        "X-Auto-Response-Suppress with an out-of-office subject",
    )


@pytest.mark.parametrize(
    ("header", "kind", "reason"),
    [
        ("Auto-Submitted: no", "message", ""),
        ("Auto-Submitted: auto-replied", "auto_reply", "Auto-Submitted: auto-replied"),
        ("X-Autoreply: yes", "auto_reply", "X-Autoreply"),
        ("X-Autorespond: Vacation", "auto_reply", "X-Autorespond"),
        ("Precedence: junk", "bulk", "Precedence: junk"),
        ("List-Unsubscribe: <https://news.example/u/1>", "bulk", "List-Unsubscribe"),
        ("List-Id: <clients.lists.example>", "bulk", "List-Id"),
    ],
)
def test_classification_headers(header: str, kind: str, reason: str) -> None:
    parsed = parse(_mail(header))
    assert (parsed.kind, parsed.kind_reason) == (kind, reason)


def test_a_null_sender_alone_is_not_a_bounce_since_auto_replies_use_it_too() -> None:
    assert parse(_mail("Return-Path: <>")).kind == "message"
    bounce = parse(_mail("Return-Path: <>", "X-Failed-Recipients: Perdu@Example.fr"))
    assert (bounce.kind, bounce.bounced_recipients) == ("bounce", ("perdu@example.fr",))


def test_a_postfix_bounce_names_the_failed_recipient_and_our_message() -> None:
    parsed = _parse_file("21-postfix-bounce.eml")
    assert parsed.bounced_recipients == ("s.blanc@wanadoo.fr",)
    assert parsed.bounced_message_id == "ponton.104.1611.5e6f70@support.example.com"
    assert parsed.attachments == ()


# Bodies and attachments ---------------------------------------------------------------------


def test_attachment_names_lose_their_path_and_control_characters() -> None:
    raw = _mail(
        body=(
            "--b\nContent-Type: text/plain; charset=utf-8\n\nVoir pièce jointe.\n"
            '--b\nContent-Type: application/pdf; name="x.pdf"\n'
            'Content-Disposition: attachment; filename="..\\\\..\\\\windows\\\\ev\x07il.pdf"\n'
            "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
            "--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment\n"
            "Content-Transfer-Encoding: base64\n\nAAEC\n--b--\n"
        ),
        content_type='Content-Type: multipart/mixed; boundary="b"',
    )
    parsed = parse(raw)
    assert [a.filename for a in parsed.attachments] == ["evil.pdf", "attachment-3.bin"]
    assert parsed.attachments[0].data == b"%PDF-1.4\n"
    assert parsed.clean_text == "Voir pièce jointe."


def test_an_encoded_word_filename_is_decoded() -> None:
    raw = _mail(
        body=(
            "--b\nContent-Type: text/plain; charset=utf-8\n\nCi-joint.\n"
            '--b\nContent-Type: application/pdf; name="=?utf-8?B?UsOpc2lsaWF0aW9uLnBkZg==?="\n'
            'Content-Disposition: attachment; filename="=?utf-8?B?UsOpc2lsaWF0aW9uLnBkZg==?="\n'
            "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n"
        ),
        content_type='Content-Type: multipart/mixed; boundary="b"',
    )
    assert [a.filename for a in parse(raw).attachments] == ["Résiliation.pdf"]


def test_an_html_only_mail_becomes_readable_text() -> None:
    text = html_to_text(
        "<html><head><style>p{color:red}</style></head><body><p>Bonjour&nbsp;!</p>"
        "<p>Votre <a href='https://ex.example/suivi'>suivi</a> &eacute;tait vide.</p>"
        "<ol><li>un</li><li>deux</li></ol><script>alert(1)</script></body></html>"
    )
    assert text == (
        "Bonjour !\n\nVotre suivi (https://ex.example/suivi) était vide.\n\n1. un\n2. deux"
    )


def test_an_inline_image_referenced_by_the_html_is_marked_inline() -> None:
    parsed = _parse_file("08-html-inline-image.eml")
    image = parsed.attachments[0]
    assert (image.inline, image.content_id, image.content_type) == (
        True,
        "ab1c2d3e-4f56-7890-ab12-cd34ef567890",
        "image/png",
    )
    assert image.data.startswith(b"\x89PNG")


def test_a_language_is_guessed_from_the_words_when_not_declared() -> None:
    assert parse(_mail(body="Bonjour, je ne reçois pas mes factures depuis mai.\n")).language == (
        "fr"
    )
    english = "Hello, I have not received my invoices since May. Thanks.\n"
    assert parse(_mail(body=english)).language == "en"
    assert parse(_mail(body="OK\n")).language == ""


def test_a_parameter_the_stdlib_cannot_parse_does_not_lose_the_mail() -> None:
    # "filename*" with nothing after it makes the stdlib's parameter parser raise IndexError.
    raw = _mail(
        body=(
            "--b\nContent-Type: text/plain; charset=utf-8\n\nLa pièce jointe est cassée.\n"
            "--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*\n"
            "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n"
        ),
        content_type='Content-Type: multipart/mixed; boundary="b"',
    )
    parsed = parse(raw)
    assert parsed.clean_text == "La pièce jointe est cassée."
    assert [a.content_type for a in parsed.attachments] == ["application/pdf"]


@pytest.mark.parametrize("raw", [b"", b"   \n\n", b"\x00\x01\x02\xff\xfe garbage"])
def test_bytes_that_are_not_a_mail_are_unparseable(raw: bytes) -> None:
    with pytest.raises(UnparseableEmail):
        parse(raw)


def test_mime_parts_nested_thousands_deep_are_unparseable_not_a_crash() -> None:
    depth = 3000
    head = b"From: claire@example.org\r\nSubject: nested\r\n"
    body = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (n, n)
        for n in range(depth)
    )
    with pytest.raises(UnparseableEmail):
        parse(head + body + b"Content-Type: text/plain\r\n\r\nhi\r\n")


def test_what_cannot_be_stored_is_cut_to_fit_a_nul_byte_a_huge_id_a_huge_subject() -> None:
    def raw(subject: str) -> bytes:
        return (
            "From: claire@example.org\n"
            f"Message-ID: <{'x' * 400}@example.org>\n"
            f"Subject: {subject}\n\n"
            "Bonjour\x00, ma facture.\n"
        ).encode()

    parsed = parse(raw("Re: " * 2000 + "Facture"))

    assert len(parsed.message_id) <= 250
    assert parsed.message_id == parse(raw("Autre")).message_id  # the same id, the same mail
    assert "\x00" not in parsed.text and "\x00" not in parsed.clean_text
    assert len(parsed.subject) <= 998
    assert strip_subject_prefixes("Re: " * 200_000 + "Facture") == "Facture"
