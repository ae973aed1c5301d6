from __future__ import annotations

from email import message_from_bytes

from django.core.mail import send_mail

from ponton.connectors.email.testing import SmtpSink


def test_mail_sent_with_djangos_smtp_backend_reaches_the_smtp_sink(smtp_sink: SmtpSink) -> None:
    sent = send_mail(
        subject="Votre demande #42",
        message="Bonjour Claire, voici la réponse.",
        from_email="support@ponton.test",
        recipient_list=["claire@example.com"],
    )

    assert sent == 1
    (received,) = smtp_sink.messages
    assert received.mail_from == "support@ponton.test"
    assert received.rcpt_tos == ["claire@example.com"]
    parsed = message_from_bytes(received.raw)
    assert parsed["Subject"] == "Votre demande #42"
    assert "voici la réponse" in parsed.get_payload(decode=True).decode()
