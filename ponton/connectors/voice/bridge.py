"""Click-to-call's second leg: the agent picked up their line; now the customer is dialled
from the support number, so the customer sees the number they know."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton import phones
from ponton.connectors.voice.signature import public_url
from ponton.connectors.voice.twiml import Reply
from ponton.conversations.models import Callback


def bridge_twiml(callback_id: int) -> str:
    callback = (
        Callback.objects.select_related("conversation", "customer").filter(pk=callback_id).first()
    )
    if callback is None or not phones.e164(callback.phone):
        return str(Reply("fr").hangup())
    conversation = callback.conversation
    language = conversation.language if conversation else "fr"
    name = (callback.customer.get_full_name() if callback.customer else "") or phones.display(
        callback.phone
    )
    with override(language):
        reply = Reply(language).say(
            _("Callback for %(name)s, request %(id)s. Dialling now.")
            % {"name": name, "id": conversation.pk if conversation else ""}
        )
    return str(
        reply.dial(
            number=phones.e164(callback.phone),
            caller_id=phones.e164(settings.PONTON_SUPPORT_PHONE),
            action=public_url(reverse("api:voice-status")),
        )
    )
