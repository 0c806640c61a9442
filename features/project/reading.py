"""Reading a project's configuration files: never raising, and remembering what was looked at.

Two promises rest on this module. A file that cannot be parsed (a stray tab in YAML, a TOML
typo) must not stop the linting: it is skipped and named in `problems`, once. And the server must
not re-parse a project's TOML, INI and YAML on every keystroke: every path looked at, found or
not, is kept with its `stat` in a `Stamp`, and the facts stay valid as long as a fresh `stat` of
each gives the same answer.
"""

from __future__ import annotations

import configparser
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Signature = tuple[int, int, int] | None  # (mtime_ns, size, inode); None: not there


def signature(path: Path) -> Signature:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass(frozen=True)
class Stamp:
    """What each path looked like when the facts were read; `fresh` costs one `stat` per path."""

    seen: tuple[tuple[Path, Signature], ...]

    def fresh(self) -> bool:
        return all(signature(path) == was for path, was in self.seen)


class Reader:
    """Every file access of one `project_facts` call: parsed files are read once, failures
    become problems, and each path probed is remembered for the `Stamp`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._seen: dict[Path, Signature] = {}
        self._parsed: dict[tuple[str, Path], Any] = {}
        self.problems: list[str] = []

    def _probe(self, path: Path) -> Signature:
        if path not in self._seen:
            self._seen[path] = signature(path)
        return self._seen[path]

    def exists(self, path: Path) -> bool:
        return self._probe(path) is not None

    def is_file(self, path: Path) -> bool:
        return self.exists(path) and path.is_file()

    def listing(self, folder: Path) -> list[Path]:
        """The entries of `folder`; its own mtime changes when one is added or removed."""
        if self._probe(folder) is None or not folder.is_dir():
            return []
        try:
            return sorted(folder.iterdir())
        except OSError:
            return []

    def stamp(self) -> Stamp:
        return Stamp(tuple(self._seen.items()))

    def name(self, path: Path) -> str:
        """`path` as users know it: relative to the project root when inside it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def text(self, path: Path) -> str | None:
        if not self.is_file(path):
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self._problem(path, f"cannot be read ({exc})")
            return None

    def toml(self, path: Path) -> dict[str, Any] | None:
        return self._parse("toml", path, _toml)

    def ini(self, path: Path) -> configparser.RawConfigParser | None:
        return self._parse("ini", path, _ini)

    def yaml(self, path: Path) -> dict[str, Any] | None:
        return self._parse("yaml", path, _yaml)

    def _parse(self, kind: str, path: Path, parse: Callable[[str], Any]) -> Any:
        key = (kind, path)
        if key not in self._parsed:
            text = self.text(path)
            value = None
            if text is not None:
                try:
                    value = parse(text)
                except _ParseError as exc:
                    self._problem(path, str(exc))
            self._parsed[key] = value
        return self._parsed[key]

    def _problem(self, path: Path, what: str) -> None:
        message = f"{self.name(path)}: {what}; surefix ignores it"
        if message not in self.problems:
            self.problems.append(message)


class _ParseError(Exception):
    pass


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _ParseError(f"not valid TOML ({_first_line(exc)})") from exc


def _ini(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise _ParseError(f"not valid INI ({_first_line(exc)})") from exc
    return parser


def _yaml(text: str) -> dict[str, Any]:
    try:
        value = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise _ParseError(f"not valid YAML ({_first_line(exc)})") from exc
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _ParseError("not a YAML mapping")
    return value
