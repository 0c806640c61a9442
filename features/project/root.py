"""Where a file's project starts, and which Ruff configuration governs it.

Ruff resolves much from the folder it runs in when a project has no configuration of its own:
`src = [".", "src"]` (which imports are first-party, hence how `I001` sorts them) and the paths of
`per-file-ignores` are relative to it. Run in the file's own folder, `tests/test_app.py` would
see `app` as a third-party package; run at the project root, it is first-party.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from surefix.features.project.reading import Reader

MARKERS = ("pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", "tox.ini", ".git")
# Ruff's own order when one folder has several: .ruff.toml, then ruff.toml, then pyproject.toml.
RUFF_FILES = (".ruff.toml", "ruff.toml")


class SymlinkLoop(ValueError):
    """A path that leads through symbolic links pointing back at each other: it names no file,
    and no project can be found for it. The message says which links loop, for people."""


def resolved(path: Path) -> Path:
    """`path.resolve()`, with a symlink loop on the way said in words (`SymlinkLoop`) instead
    of Python's `RuntimeError` (3.11) or `OSError` (3.13)."""
    try:
        return path.resolve()
    except RuntimeError as exc:
        raise SymlinkLoop(loop_words(path)) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SymlinkLoop(loop_words(path)) from exc
        raise


def loop_words(path: Path) -> str:
    """ "/w/a → b → a: a symlink loop", naming the first link of `path` that never ends and the
    links it goes through, as they are written."""
    absolute = Path(os.path.abspath(path))
    for depth in range(1, len(absolute.parts) + 1):
        step = Path(*absolute.parts[:depth])
        if not os.path.islink(step) or _reachable(step):
            continue
        chain, seen, at = [str(step)], {str(step)}, step
        while os.path.islink(at) and len(chain) < 10:
            target = os.readlink(at)
            at = Path(os.path.normpath(at.parent / target))
            chain.append(target)
            if str(at) in seen:
                break
            seen.add(str(at))
        return f"{path} goes through a symlink loop ({' → '.join(chain)})"
    return f"{path} goes through a symlink loop"


def _reachable(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno != errno.ELOOP
    return True


def _folder_of(path: Path) -> Path:
    path = resolved(path)
    return path if path.is_dir() else path.parent


def _inside(folder: Path, workspace: Path | None) -> bool:
    return workspace is not None and folder.is_relative_to(workspace)


def _upwards(folder: Path, workspace: Path | None) -> list[Path]:
    """`folder` and its parents, up to `workspace` when `folder` is inside it."""
    chain = [folder, *folder.parents]
    if _inside(folder, workspace):
        assert workspace is not None
        chain = chain[: chain.index(workspace) + 1]
    return chain


def project_root(path: Path, workspace: Path | None = None) -> Path:
    """The nearest folder at or above the file's folder holding pyproject.toml, ruff.toml,
    .ruff.toml, setup.cfg, tox.ini or .git — never above `workspace` (when given, and the file
    is inside it). No marker: the workspace folder if the file is in it, else the file's folder.

    The nearest marker wins, so a package nested in a monorepo is its own project."""
    folder = _folder_of(path)
    workspace = resolved(workspace) if workspace is not None else None
    for candidate in _upwards(folder, workspace):
        if any((candidate / marker).exists() for marker in MARKERS):
            return candidate
    return workspace if workspace is not None and _inside(folder, workspace) else folder


def git_top(root: Path, workspace: Path | None, reader: Reader) -> Path | None:
    """The repository's top folder (the nearest with `.git`) at or above `root`, searched no
    higher than `workspace`; without a workspace, only `root` itself is looked at."""
    workspace = resolved(workspace) if workspace is not None else None
    chain = _upwards(root, workspace) if _inside(root, workspace) else [root]
    return next((folder for folder in chain if reader.exists(folder / ".git")), None)


def find_ruff_config(path: Path) -> Path | None:
    """The Ruff configuration file that governs `path`, the way Ruff itself looks for it: the
    nearest folder above with `.ruff.toml`, `ruff.toml`, or a pyproject.toml with `[tool.ruff]`
    (one without that table does not count, and the search goes on above it)."""
    return ruff_config_from(_folder_of(path), Reader(_folder_of(path)))


def ruff_config_from(folder: Path, reader: Reader) -> Path | None:
    """`find_ruff_config` for a folder, reading through `reader` (whose `Stamp` then covers every
    file Ruff would have looked at, found or not)."""
    for candidate in [folder, *folder.parents]:
        for name in RUFF_FILES:
            if reader.is_file(candidate / name):
                return candidate / name
        pyproject = candidate / "pyproject.toml"
        data = reader.toml(pyproject) if reader.is_file(pyproject) else None
        if data is not None and isinstance(data.get("tool"), dict) and "ruff" in data["tool"]:
            return pyproject
    return None
