"""The `surefix` settings: one typed definition, read from any client, checked field by field.

Settings arrive as JSON from `initializationOptions` and `workspace/configuration` (section
`surefix`), in camelCase. Every field has a default and a check; a bad value is reported in
words that name the setting and what was wrong, and only that field falls back to its default,
so one typo never switches the rest of a user's configuration off. A dotted setting
(`surefix.format.enable`) is read nested, as VS Code sends it (`{"format": {"enable": false}}`)
and a Lua table writes it, or flat (`{"format.enable": false}`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

BADGE_STYLES = ("unicode", "ascii", "percent")
SECTION = "surefix"


@dataclass(frozen=True)
class Settings:
    """Every setting, with the value used when a client says nothing."""

    auto_threshold: float | None = None  # None: the model card's threshold
    review_threshold: float | None = None
    badge_style: str = "unicode"
    ruff_path: str | None = None
    ruff_args: tuple[str, ...] = ()
    select: tuple[str, ...] = ()  # only where the project configures no Ruff rules
    debounce_ms: int = 250
    lint_timeout: float = 10.0
    max_file_size: int = 2_000_000
    model_path: str | None = None
    collect_outcomes: bool = True
    undo_window: float = 120.0
    demotion_min_outcomes: int = 10
    undo_limit: int = 2
    wrong_demotes: bool = True
    recent_edit_window: float = 600.0
    data_dir: str | None = None  # None: SUREFIX_DATA_DIR, else the platform's data directory
    format_enable: bool = True  # read at `initialize`: off, formatting is not advertised
    organize_remove_unused: bool = False


@dataclass(frozen=True)
class Field:
    key: str  # camelCase, as clients send it
    attr: str
    check: Callable[[Any], Any]  # returns the typed value or raises ValueError with the reason
    doc: str


def _probability(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    return float(value)


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return str(value)

    return check


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _optional_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(value)


def _rule_selectors(value: Any) -> tuple[str, ...]:
    selectors = _strings(value)
    bad = [s for s in selectors if not s.isalnum() or not s[0].isalpha() or s != s.upper()]
    if bad:
        raise ValueError(f"expected rule codes or prefixes such as F401 or UP, got {bad!r}")
    return selectors


def _bounded(kind: type, low: float, high: float) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number from {low:g} to {high:g}, got {value!r}")
        if kind is int and value != int(value):
            raise ValueError(f"expected a whole number, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low:g} to {high:g}, got {value!r}")
        return kind(value)

    return check


FIELDS = (
    Field("autoThreshold", "auto_threshold", _probability,
          "Score at or above which a fix Ruff marks safe is applied automatically. "
          "Default: the bundled model card's threshold."),
    Field("reviewThreshold", "review_threshold", _probability,
          "Score at or above which a fix is review-suggested rather than manual-only. "
          "Default: the model card's (0.5)."),
    Field("badgeStyle", "badge_style", _choice(BADGE_STYLES),
          "How quick-fix titles show trust: `unicode` (`✓ 97%`), `ascii` (`+ 97%`) or `percent` "
          "(`97%`)."),
    Field("ruffPath", "ruff_path", _optional_text,
          "The ruff executable. Default: the one installed with surefix, then PATH."),
    Field("ruffArgs", "ruff_args", _strings,
          "Extra arguments for `ruff check`, e.g. `[\"--preview\"]`; `ruff format` gets them "
          "too, so give only what both take (`--preview`, `--config KEY=VALUE`)."),
    Field("select", "select", _rule_selectors,
          "Rules to run where the project has no Ruff configuration. "
          "Default: a broad fixable set."),
    Field("debounceMs", "debounce_ms", _bounded(int, 0, 10_000),
          "Milliseconds to wait after the last keystroke before linting."),
    Field("lintTimeout", "lint_timeout", _bounded(float, 0.001, 600),
          "Seconds Ruff may take on one file before the run is abandoned."),
    Field("maxFileSize", "max_file_size", _bounded(int, 0, 1_000_000_000),
          "Files larger than this many bytes are not linted."),
    Field("modelPath", "model_path", _optional_text,
          "A trust-model directory to use instead of the bundled one."),
    Field("collectOutcomes", "collect_outcomes", _flag,
          "Record what you do with offered fixes in the local store (never code, never sent)."),
    Field("undoWindow", "undo_window", _bounded(float, 0, 86_400),
          "Seconds after taking a fix in which returning to the old text counts as undoing it."),
    Field("demotionMinOutcomes", "demotion_min_outcomes", _bounded(int, 1, 1_000_000),
          "Outcomes of a rule needed before rejecting 10 % of them stops its automatic fixes."),
    Field("undoLimit", "undo_limit", _bounded(int, 0, 1_000),
          "Undos of a rule's fixes after which it is no longer applied automatically for you "
          "(0: never for that reason). \"Trust RULE again\" reverses it."),
    Field("wrongFixDemotes", "wrong_demotes", _flag,
          "Whether \"This fix is wrong\" stops the rule's automatic fixes for you at once."),
    Field("recentEditWindow", "recent_edit_window", _bounded(float, 0, 86_400),
          "Seconds for which code you typed is never rewritten or deleted by fix-all or "
          "fix-on-save (it stays a quick fix)."),
    Field("dataDir", "data_dir", _optional_text,
          "Where the local store lives. Default: `SUREFIX_DATA_DIR`, else the platform's "
          "per-user data directory."),
    Field("format.enable", "format_enable", _flag,
          "Format Python files with `ruff format` and the project's configuration. Off, surefix "
          "offers no formatting at all and leaves it to another formatter (read at start)."),
    Field("organizeImports.removeUnused", "organize_remove_unused", _flag,
          "Whether organize imports (`source.organizeImports.surefix`) also removes unused "
          "imports (F401's fix), not only sorts them."),
)  # fmt: skip
_BY_KEY = {f.key: f for f in FIELDS}


@dataclass(frozen=True)
class Parsed:
    settings: Settings
    problems: tuple[str, ...] = field(default=())


def _empty_table(value: Any) -> bool:
    """`[]` where `{}` was meant: an empty Lua table (Neovim's `settings = {}`) encodes as a
    JSON array, so an empty list is read as no settings at all."""
    return isinstance(value, list) and not value


def section_of(raw: Any) -> Mapping[str, Any]:
    """The `surefix` section of what a client sent: nested under `surefix`, or flat."""
    if not isinstance(raw, Mapping):
        return {}
    inner = raw.get(SECTION)
    if _empty_table(inner):
        return {}
    return inner if isinstance(inner, Mapping) else raw


def parse_settings(raw: Any, base: Settings | None = None) -> Parsed:
    """Settings from a client's JSON over `base`; each bad or unknown key becomes a problem."""
    settings = base or Settings()
    problems: list[str] = []
    if raw is not None and not isinstance(raw, Mapping) and not _empty_table(raw):
        return Parsed(settings, (f"settings must be an object, got {type(raw).__name__}",))
    for key, value in _entries(section_of(raw)):
        spec = _BY_KEY.get(key)
        if spec is None and key in _GROUPS:
            problems.append(f"{SECTION}.{key}: expected an object of settings, got {value!r}")
            continue
        if spec is None:
            problems.append(f"unknown setting {SECTION}.{key}")
            continue
        try:
            settings = replace(settings, **{spec.attr: spec.check(value)})
        except ValueError as exc:
            default = getattr(Settings(), spec.attr)
            problems.append(f"{SECTION}.{key}: {exc}; using {default!r}")
            settings = replace(settings, **{spec.attr: default})
    return Parsed(settings, tuple(problems) + _consistency(settings))


_GROUPS = {f.key.rsplit(".", 1)[0] for f in FIELDS if "." in f.key}


def _entries(section: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, value) of every setting in `section`, a group's own read nested: VS Code
    sends `surefix.format.enable` as `{"format": {"enable": …}}`. An empty Lua table in a group
    (`format = {}`) arrives as `[]` and is no setting."""
    found: list[tuple[str, Any]] = []
    for key, value in section.items():
        dotted = f"{prefix}{key}"
        if dotted in _GROUPS and isinstance(value, Mapping):
            found += _entries(value, f"{dotted}.")
        elif not (dotted in _GROUPS and _empty_table(value)):
            found.append((dotted, value))
    return found


def _consistency(settings: Settings) -> tuple[str, ...]:
    auto, review = settings.auto_threshold, settings.review_threshold
    if auto is not None and review is not None and review > auto:
        return (f"{SECTION}.reviewThreshold ({review}) is above autoThreshold ({auto})",)
    return ()


def settings_table() -> str:
    """The README's settings reference, generated from `FIELDS` so the two never disagree."""
    defaults = Settings()
    lines = ["| setting | default | meaning |", "| --- | --- | --- |"]
    for f in FIELDS:
        default = getattr(defaults, f.attr)
        if default is None:
            shown = "model card" if "Threshold" in f.key else "none"
        else:
            shown = "`" + json.dumps(list(default) if isinstance(default, tuple) else default) + "`"
        lines.append(f"| `surefix.{f.key}` | {shown} | {f.doc} |")
    return "\n".join(lines)
