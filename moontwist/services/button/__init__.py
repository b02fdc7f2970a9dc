"""``[button NAME]``: GPIO buttons whose presses and releases run templates."""

from moontwist.services.button.service import ButtonService

__all__ = ["ButtonService"]
