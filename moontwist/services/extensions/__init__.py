"""Agents: connections that extend the server with their own methods and events."""

from moontwist.services.extensions.service import ExtensionsService

__all__ = ["ExtensionsService"]
