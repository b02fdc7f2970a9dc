"""Object processing: EXCLUDE_OBJECT definitions added with ``preprocess-cancellation``.

With ``[file_manager] enable_object_processing`` Moonraker runs that package on
G-code whose slicer marked its objects, so Klipper's ``exclude_object`` can
cancel one object of a plate. The rules are Moonraker's: files that already
define objects are left alone; ``M486`` labels go to the M486 processor, else
the slicer family's markers (PrusaSlicer and its forks, Cura, ideaMaker) pick
the processor; other slicers' files without ``M486`` are left alone.
Blocking: run on a worker thread.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from moontwist.metadata.reader import CHUNK_SIZE, read_gcode
from moontwist.metadata.slicers import cura, ideamaker, identify, prusa

PROCESSOR_NAME = "preprocess_cancellation"
PROCESSED_MARKER = re.compile(
    r"^; Pre-Processed for Cancel-Object support by preprocess_cancellation (?P<version>v?\d+(?:\.\d+)*)",
    re.MULTILINE)
_ALREADY_DEFINED = re.compile(r"\n((DEFINE_OBJECT)|(EXCLUDE_OBJECT_DEFINE)) NAME=")
_M486 = re.compile(r"\nM486")
# The slicer family (told apart by its parser) -> its object marker and processor.
_FAMILIES: dict[Callable[..., Any], tuple[re.Pattern[str], str]] = {
    prusa.parse: (re.compile(r"\n; printing object"), "preprocess_slicer"),
    cura.parse: (re.compile(r"\n;MESH:"), "preprocess_cura"),
    ideamaker.parse: (re.compile(r"\n;PRINTING:"), "preprocess_ideamaker"),
}


class ObjectProcessingUnavailable(RuntimeError):
    """``preprocess-cancellation`` is not installed."""


def processors_of(head: str) -> list[str]:
    """The ``file_processors`` of a file: the processors whose mark is in its head."""
    return [PROCESSOR_NAME] if PROCESSED_MARKER.search(head[:CHUNK_SIZE]) else []


def load_processor_module() -> ModuleType:
    """Import ``preprocess_cancellation``; ObjectProcessingUnavailable when absent.

    Its import calls ``logging.basicConfig`` (a stderr handler on the root logger);
    the root logger is put back as it was, our logging stays Twisted's.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import preprocess_cancellation
    except ImportError as error:
        raise ObjectProcessingUnavailable(
            "enable_object_processing needs the preprocess-cancellation package "
            "(pip install 'moontwist[objects]')") from error
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return preprocess_cancellation


def choose_processor(head: str) -> str | None:
    """The name of the package's function for this file, or None to leave it alone."""
    head = head[:CHUNK_SIZE]
    if _ALREADY_DEFINED.search(head) or PROCESSED_MARKER.search(head):
        return None
    if _M486.search(head):
        return "preprocess_m486"
    family = _FAMILIES.get(identify(head).parse)
    if family is not None and family[0].search(head):
        return family[1]
    return None


def process_objects(path: Path, replacing: Callable[[Path], AbstractContextManager[Path]]) -> bool:
    """Add object definitions to the G-code at ``path``, replacing it in one step.

    ``replacing(path)`` gives the temp file to write, renamed over ``path`` when
    the block succeeds. True when the file was rewritten; False when it has
    nothing to process. A processor error leaves the file as it was and propagates.
    """
    name = choose_processor(read_gcode(path, path.stat().st_size).head)
    if name is None:
        return False
    processor: Callable[[TextIO], Iterable[str]] = getattr(load_processor_module(), name)
    with replacing(path) as staged:
        with open(path, encoding="utf-8", errors="surrogateescape") as source, open(staged, "wb") as output:
            for chunk in _batched(processor(source)):
                output.write(chunk.encode("utf-8", "surrogateescape"))
            output.flush()
            os.fsync(output.fileno())
    return True


def _batched(lines: Iterable[str], size: int = 1 << 16) -> Iterator[str]:
    """Join the processor's many small strings into large writes."""
    batch: list[str] = []
    length = 0
    for line in lines:
        batch.append(line)
        length += len(line)
        if length >= size:
            yield "".join(batch)
            batch, length = [], 0
    if batch:
        yield "".join(batch)
