"""The channels' own records (each slice keeps its models in its folder)."""

from ponton.connectors.email.models import EmailRecord, FailingAddress
from ponton.connectors.messaging.models import MessagingRecord
from ponton.connectors.voice.models import AgentLine, Call

__all__ = ["AgentLine", "Call", "EmailRecord", "FailingAddress", "MessagingRecord"]
