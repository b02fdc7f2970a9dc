"""moonraker.conf text to raw sections, following Moonraker's reading rules.

Comments, escapes and multi-line values behave as Moonraker's pre-pass plus
``configparser`` (no interpolation) make them; ``[include glob]`` is expanded in
place, depth first; a section or option defined twice in one file is an error,
while a section repeated across files merges (the later file wins).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from moontwist.config.errors import ConfigError

DEFAULT_SECTION = "DEFAULT"
INCLUDE_PREFIX = "include "

# configparser's own patterns: a header runs to the last "]" and an option
# name ends at the first ":" or "=".
_SECTION = re.compile(r"\s*\[(?P<name>.+)\]")
_OPTION = re.compile(r"(?P<name>.*?)\s*[:=]\s*(?P<value>.*)$")
_INLINE_COMMENT = re.compile(r" +[#;]")
_ESCAPED_COMMENT = re.compile(r" \\([#;])")
_COMMENT_CHARS = ("#", ";")


@dataclass
class RawConfig:
    """Option text by section once every file is read, and which file defined what."""

    sections: dict[str, dict[str, str]] = field(default_factory=lambda: {DEFAULT_SECTION: {}})
    files: list[Path] = field(default_factory=list)
    section_files: dict[str, list[Path]] = field(default_factory=dict)

    def has_section(self, name: str) -> bool:
        return name != DEFAULT_SECTION and name in self.sections

    def section_names(self) -> list[str]:
        return [name for name in self.sections if name != DEFAULT_SECTION]

    def options(self, section: str) -> dict[str, str]:
        """A section's options as configparser shows them: its own, then [DEFAULT]'s."""
        merged = dict(self.sections.get(section, {}))
        for option, value in self.sections[DEFAULT_SECTION].items():
            merged.setdefault(option, value)
        return merged

    def get(self, section: str, option: str) -> str | None:
        """The option's text, from the section or [DEFAULT]; None when absent."""
        if section not in self.sections:
            return None
        return self.options(section).get(option)

    def file_sections(self) -> list[tuple[Path, list[str]]]:
        """Each file in parse order with the sections it defines, in first-seen order."""
        return [
            (path, [name for name, paths in self.section_files.items() if path in paths])
            for path in self.files
        ]


def parse_config(path: Path) -> RawConfig:
    """Read ``path`` and every file it includes into one RawConfig."""
    raw = RawConfig()
    _Reader(raw).read_file(path)
    return raw


def clean_line(line: str) -> str | None:
    """The line without comments and with escapes undone; None when nothing is left.

    A line that starts with ``#`` or ``;`` once unescaped is dropped too:
    configparser reads it as a comment line.
    """
    stripped = line.strip()
    if not stripped or stripped.startswith(_COMMENT_CHARS):
        return None
    line = line.expandtabs(4)
    comment = _INLINE_COMMENT.search(line)
    if comment is not None:
        line = line[: comment.start()]
    line = _ESCAPED_COMMENT.sub(r" \1", line)
    if line.lstrip().startswith(_COMMENT_CHARS):
        return None
    return line


@dataclass(frozen=True)
class _Origin:
    """The include directive that brought a file in."""

    path: Path
    line: int
    directive: str


class _Reader:
    """Reads files into one RawConfig, refusing to read any file twice."""

    def __init__(self, raw: RawConfig) -> None:
        self.raw = raw
        self.visited: set[tuple[int, int]] = set()

    def read_file(self, path: Path, origin: _Origin | None = None) -> None:
        try:
            status = path.stat()
            identity = (status.st_dev, status.st_ino)
            if identity in self.visited:
                raise ConfigError(f"Recursive include directive detected, {path}{_describe(origin)}")
            text = path.read_text(encoding="utf-8-sig")
        except OSError as error:
            raise ConfigError(f"Error Reading Config: '{path}': {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise ConfigError(f"Error Reading Config: '{path}': {error}") from error
        self.visited.add(identity)
        self.raw.files.append(path)
        _FileParser(self, path).parse(text.splitlines())


def _describe(origin: _Origin | None) -> str:
    if origin is None:
        return ""
    return f": [{origin.directive}] in file {origin.path}, line {origin.line}"


@dataclass
class _PendingOption:
    """An option whose continuation lines may still follow."""

    section: str
    name: str
    indent: int
    lines: list[str]


class _FileParser:
    """The state of reading one file: current section, what it defined, open option."""

    def __init__(self, reader: _Reader, path: Path) -> None:
        self.reader = reader
        self.raw = reader.raw
        self.path = path
        self.section: str | None = None
        self.last_include: str | None = None
        self.defined_sections: set[str] = set()
        self.defined_options: set[tuple[str, str]] = set()
        self.pending: _PendingOption | None = None

    def parse(self, lines: list[str]) -> None:
        for number, line in enumerate(lines, start=1):
            cleaned = clean_line(line)
            if cleaned is not None:
                self._parse_line(cleaned, number)
        self._commit_pending()

    def _error(self, message: str, line: int) -> ConfigError:
        return ConfigError(f"{message} in file {self.path}, line {line}")

    def _parse_line(self, line: str, number: int) -> None:
        indent = len(line) - len(line.lstrip())
        if self.pending is not None and indent > self.pending.indent:
            self.pending.lines.append(line.strip())
            return
        self._commit_pending()
        header = _SECTION.match(line)
        if header is None:
            self._start_option(line, indent, number)
        elif header["name"].startswith(INCLUDE_PREFIX):
            self._include(header["name"], number)
        else:
            self._start_section(header["name"], number)

    def _commit_pending(self) -> None:
        if self.pending is not None:
            value = "\n".join(self.pending.lines).rstrip()
            self.raw.sections[self.pending.section][self.pending.name] = value
            self.pending = None

    def _start_section(self, name: str, number: int) -> None:
        if name in self.defined_sections:
            raise self._error(f"Duplicate section [{name}]", number)
        self.defined_sections.add(name)
        self.raw.sections.setdefault(name, {})
        self.raw.section_files.setdefault(name, []).append(self.path)
        self.section = name

    def _start_option(self, line: str, indent: int, number: int) -> None:
        match = _OPTION.match(line.strip())
        name = match["name"].rstrip().lower() if match else ""
        if match is None or not name:
            raise self._error(f"Invalid line '{line.strip()}': expected '[section]' or 'option: value'", number)
        if self.section is None:
            where = f"after [{self.last_include}] " if self.last_include else ""
            raise self._error(f"Option '{name}' {where}is outside of a section", number)
        if (self.section, name) in self.defined_options:
            raise ConfigError(
                f"Duplicate option '{name}' in section [{self.section}], file {self.path}, line {number}"
            )
        self.defined_options.add((self.section, name))
        self.pending = _PendingOption(self.section, name, indent, [match["value"].strip()])

    def _include(self, directive: str, number: int) -> None:
        pattern = directive[len(INCLUDE_PREFIX) :].strip()
        if not pattern:
            raise self._error(f"Invalid include directive: [{directive}]", number)
        try:
            matches = self._glob(pattern)
        except (ValueError, NotImplementedError) as error:
            raise self._error(f"Invalid include directive [{directive}] ({error})", number) from error
        if not matches:
            raise self._error(f"No files matching include directive [{directive}]", number)
        self.section = None
        self.last_include = directive
        for path in matches:
            self.reader.read_file(path, _Origin(self.path, number, directive))

    def _glob(self, pattern: str) -> list[Path]:
        """Relative patterns are globbed from this file's folder; absolute ones only in their last part."""
        if os.path.isabs(pattern):
            target = Path(pattern).resolve()
            return sorted(target.parent.glob(target.name))
        return sorted(self.path.parent.glob(pattern))
