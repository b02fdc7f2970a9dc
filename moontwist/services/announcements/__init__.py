"""Announcements: Moonraker's RSS feeds of news for Klipper and Moonraker users."""

from moontwist.services.announcements.service import MOONLIGHT_URL, AnnouncementsService

__all__ = ["MOONLIGHT_URL", "AnnouncementsService"]
