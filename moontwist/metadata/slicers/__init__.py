"""Which slicer wrote a file, and the parser that reads its comments.

Identification follows Moonraker's order: the first slicer whose marker appears
in the head of the file wins; a file nobody claims is ``Unknown`` (version ``?``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from moontwist.metadata.reader import GcodeText
from moontwist.metadata.slicers import (
    cura,
    icesl,
    ideamaker,
    kirimoto,
    kisslicer,
    prusa,
    simplify3d,
    unknown,
)
from moontwist.metadata.values import Fields


@dataclass(frozen=True)
class Slicer:
    """A slicer family: how to recognise it and how to read it."""

    identify: Callable[[str], tuple[str, str] | None]
    parse: Callable[[GcodeText], Fields]
    # Moonraker does not look for thumbnails in Slic3r and Slic3r PE files.
    has_thumbnails: bool = True


@dataclass(frozen=True)
class Identified:
    """The slicer's name and version as written in the file, and how to read it."""

    name: str
    version: str
    parse: Callable[[GcodeText], Fields]
    has_thumbnails: bool


ORDER: tuple[Slicer, ...] = (
    Slicer(prusa.identify_slic3r_pe, prusa.parse, has_thumbnails=False),
    Slicer(prusa.identify_slic3r, prusa.parse, has_thumbnails=False),
    Slicer(prusa.identify_bambu, prusa.parse),
    Slicer(prusa.identify_fork, prusa.parse),
    Slicer(cura.identify, cura.parse),
    Slicer(simplify3d.identify, simplify3d.parse),
    Slicer(kisslicer.identify, kisslicer.parse),
    Slicer(ideamaker.identify, ideamaker.parse),
    Slicer(icesl.identify, icesl.parse),
    Slicer(kirimoto.identify, kirimoto.parse),
)


def identify(head: str) -> Identified:
    """The first slicer in ``ORDER`` that recognises ``head``, else ``Unknown``."""
    for slicer in ORDER:
        found = slicer.identify(head)
        if found is not None:
            return Identified(found[0], found[1], slicer.parse, slicer.has_thumbnails)
    return Identified("Unknown", "?", unknown.parse, has_thumbnails=True)
