"""Klippy's way of turning printer.cfg text into sections: comments, includes."""

from __future__ import annotations

import configparser
import glob
import io
import os

_SECTION_HEADER = configparser.RawConfigParser.SECTCRE


class ConfigError(Exception):
    """The configuration cannot be used."""


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off"):
        return False
    raise ValueError(text)


def new_parser() -> configparser.RawConfigParser:
    return configparser.RawConfigParser(strict=False, inline_comment_prefixes=(";", "#"), interpolation=None)


def read_text(filename: str) -> str:
    try:
        with open(filename) as handle:
            return handle.read().replace("\r\n", "\n")
    except OSError:
        raise ConfigError(f"Unable to open config file {filename}") from None


def without_comments(text: str) -> str:
    """Klippy drops everything after a ``#`` on every line, values included."""
    return "\n".join(line.split("#", 1)[0] for line in text.split("\n"))


def append_text(parser: configparser.RawConfigParser, text: str, source: str) -> None:
    if not text:
        return
    try:
        parser.read_file(io.StringIO(without_comments(text)), source)
    except configparser.Error as error:
        raise ConfigError(str(error)) from None


def parse_with_includes(text: str, filename: str) -> configparser.RawConfigParser:
    """Parse ``text`` (the content of ``filename``), following ``[include]`` sections."""
    parser = new_parser()
    _parse_file(parser, text, filename, set())
    return parser


def _parse_file(parser: configparser.RawConfigParser, text: str, filename: str, visiting: set[str]) -> None:
    path = os.path.abspath(filename)
    if path in visiting:
        raise ConfigError(f"Recursive include of config file '{filename}'")
    visiting.add(path)
    pending: list[str] = []
    for line in text.split("\n"):
        line = line.split("#", 1)[0]
        match = _SECTION_HEADER.match(line)
        header = match.group("header") if match else None
        if header is None or not header.startswith("include "):
            pending.append(line)
            continue
        append_text(parser, "\n".join(pending), filename)
        pending = []
        pattern = os.path.join(os.path.dirname(filename), header[len("include "):].strip())
        names = sorted(glob.glob(pattern))
        if not names and not glob.has_magic(pattern):
            raise ConfigError(f"Include file '{pattern}' does not exist")
        for name in names:
            _parse_file(parser, read_text(name), name, visiting)
    append_text(parser, "\n".join(pending), filename)
    visiting.discard(path)
