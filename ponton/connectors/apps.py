from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "ponton.connectors"
    label = "connectors"
    verbose_name = "Channels and connectors"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from ponton.connectors.email import tasks  # noqa: F401  (registers the task handlers)
        from ponton.connectors.messaging.outbound import on_message_saved
        from ponton.connectors.sms import tasks as sms_tasks  # noqa: F401
        from ponton.connectors.voice import tasks as voice_tasks  # noqa: F401
        from ponton.connectors.whatsapp import tasks as whatsapp_tasks  # noqa: F401
        from ponton.conversations.models import Message

        # Whichever service writes a message a phone customer should read, it goes out.
        post_save.connect(on_message_saved, sender=Message, dispatch_uid="messaging-outbound")

        from ponton.audit.configuration import watch
        from ponton.connectors.voice.models import AgentLine

        watch(AgentLine)  # where agents take calls: a setting change in the audit log
