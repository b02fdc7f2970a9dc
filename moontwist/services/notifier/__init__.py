"""Notifications of job events through Apprise (``[notifier NAME]``)."""

from moontwist.services.notifier.service import NotifierService

__all__ = ["NotifierService"]
