"""Webcams: ``[webcam NAME]`` sections and the ``webcams`` database namespace."""

from moontwist.services.webcams.service import WebcamService

__all__ = ["WebcamService"]
