"""The file manager: roots, file operations, uploads, metadata and change notifications."""

from moontwist.services.files.service import FileManagerService

__all__ = ["FileManagerService"]
