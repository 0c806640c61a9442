"""Reading a project's configuration files: never raising, and remembering what was looked at.

Two promises rest on this module. A file that cannot be parsed (a stray tab in YAML, a TOML
typo, a symlink loop) must not stop the linting: it is skipped and named in `problems`, once. And
the server must read a project's TOML, INI and YAML once per change of a file, not once per
lint: a `Stamp` keeps what the reading depended on, and the facts stay valid while a fresh look
gives the same answer. It keeps no more than that: the `stat` (mtime_ns, size, inode) of each
file read; only the kind (file, folder, absent) of a path probed for; only the matching names
of a folder listed. Saving a module beside `pyproject.toml`, or git rewriting `.git/index`,
changes the folder's own mtime, and must not cost a 26 MB `pyproject.toml` its parse again.
"""

from __future__ import annotations

import configparser
import errno
import os
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Signature = tuple[int, int, int] | None  # (mtime_ns, size, inode); None: not there
Kind = str | None  # "file", "folder", "other" or "loop"; None: not there
Wanted = Callable[[str], bool]  # which names of a folder's listing matter


def signature(path: Path) -> Signature:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def kind(path: Path) -> Kind:
    """What is at `path`, following links: a symlink loop is "loop", not just absent."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return "loop" if exc.errno == errno.ELOOP else None
    if stat.S_ISREG(mode):
        return "file"
    return "folder" if stat.S_ISDIR(mode) else "other"


def names(folder: Path, wanted: Wanted) -> tuple[str, ...]:
    """The entries of `folder` that `wanted` keeps, sorted; none when it cannot be listed."""
    try:
        return tuple(sorted(name for name in os.listdir(folder) if wanted(name)))
    except OSError:
        return ()


@dataclass(frozen=True)
class Stamp:
    """What the facts were read from; `fresh` costs one `stat` per path and one listing per
    folder listed."""

    read: tuple[tuple[Path, Signature], ...]
    probed: tuple[tuple[Path, Kind], ...] = ()
    listed: tuple[tuple[Path, Wanted, tuple[str, ...]], ...] = ()

    def fresh(self) -> bool:
        return (
            all(signature(path) == was for path, was in self.read)
            and all(kind(path) == was for path, was in self.probed)
            and all(names(folder, wanted) == was for folder, wanted, was in self.listed)
        )


class Reader:
    """Every file access of one `project_facts` call: parsed files are read once, failures
    become problems, and what each look found is remembered for the `Stamp`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._kinds: dict[Path, Kind] = {}
        self._read: dict[Path, Signature] = {}
        self._listed: dict[Path, tuple[Wanted, tuple[str, ...]]] = {}
        self._parsed: dict[tuple[str, Path], Any] = {}
        self.problems: list[str] = []

    def _kind(self, path: Path) -> Kind:
        if path not in self._kinds:
            self._kinds[path] = found = kind(path)
            if found == "loop":
                self._problem(path, "a symlink loop (its links lead back to themselves)")
        return self._kinds[path]

    def exists(self, path: Path) -> bool:
        return self._kind(path) not in (None, "loop")

    def is_file(self, path: Path) -> bool:
        return self._kind(path) == "file"

    def listing(self, folder: Path, wanted: Wanted) -> list[Path]:
        """The entries of `folder` whose names `wanted` keeps: only a change among those
        makes the facts stale, not every file saved beside them."""
        if self._kind(folder) != "folder":
            return []
        found = names(folder, wanted)
        self._listed[folder] = (wanted, found)
        return [folder / name for name in found]

    def stamp(self) -> Stamp:
        return Stamp(
            tuple(self._read.items()),
            tuple(self._kinds.items()),
            tuple((folder, wanted, found) for folder, (wanted, found) in self._listed.items()),
        )

    def name(self, path: Path) -> str:
        """`path` as users know it: relative to the project root when inside it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def text(self, path: Path) -> str | None:
        if not self.is_file(path):
            return None
        if path not in self._read:  # before reading: a change while it is read is seen next time
            self._read[path] = signature(path)
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
    import yaml  # only for a project with a pre-commit configuration: not on every start

    try:
        value = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise _ParseError(f"not valid YAML ({_first_line(exc)})") from exc
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _ParseError("not a YAML mapping")
    return value
