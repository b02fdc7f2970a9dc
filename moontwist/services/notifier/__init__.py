"""``[notifier NAME]``: messages to phones and chat services through Apprise."""

from moontwist.services.notifier.service import NotifierService

__all__ = ["NotifierService"]
