"""Buttons on GPIO inputs (``[button NAME]``) that run templates."""

from moontwist.services.button.service import ButtonService

__all__ = ["ButtonService"]
