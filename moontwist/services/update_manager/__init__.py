"""The update manager: git repos, web clients and system packages, updated as transactions."""

from moontwist.services.update_manager.service import UpdateManagerService

__all__ = ["UpdateManagerService"]
