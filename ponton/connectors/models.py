"""The channels' own records (each slice keeps its models in its folder)."""

from ponton.connectors.email.models import EmailRecord, FailingAddress

__all__ = ["EmailRecord", "FailingAddress"]
