"""Settings: typed defaults, field-by-field checks, and a reference generated from one table."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from surefix.server.lsp.settings import FIELDS, Settings, parse_settings, settings_table


def test_every_setting_has_one_checked_field() -> None:
    assert {f.attr for f in FIELDS} == {f.name for f in fields(Settings)}


def test_nested_and_flat_forms_are_read_alike() -> None:
    flat = parse_settings({"autoThreshold": 0.9, "ruffArgs": ["--preview"]})
    nested = parse_settings({"surefix": {"autoThreshold": 0.9, "ruffArgs": ["--preview"]}})
    assert flat == nested
    assert flat.settings.auto_threshold == 0.9 and flat.settings.ruff_args == ("--preview",)
    assert flat.problems == ()


def test_a_dotted_setting_is_read_nested_as_vscode_sends_it_or_flat() -> None:
    nested = parse_settings({"surefix": {"format": {"enable": False}, "badgeStyle": "ascii"}})
    flat = parse_settings({"format.enable": False, "badgeStyle": "ascii"})
    assert nested == flat and nested.problems == ()
    assert nested.settings.format_enable is False
    assert parse_settings({"format": []}) == parse_settings(None)  # `format = {}` in Lua
    typo = parse_settings({"format": {"enabled": False}})
    assert typo.problems == ("unknown setting surefix.format.enabled",)
    assert parse_settings({"format": True}).problems == (
        "surefix.format: expected an object of settings, got True",
    )


@pytest.mark.parametrize("raw", [[], {"surefix": []}, {}, {"surefix": {}}, None])
def test_an_empty_lua_table_is_no_settings_and_no_warning(raw: object) -> None:
    """Neovim encodes an empty Lua table (`settings = {}`) as `[]`: the same as sending nothing,
    over the defaults and over settings already in force alike."""
    assert parse_settings(raw) == parse_settings(None)
    base = parse_settings({"badgeStyle": "ascii"}).settings
    assert parse_settings(raw, base) == parse_settings(None, base)
    assert parse_settings(raw).problems == ()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"autoThreshold": 1.5}, "surefix.autoThreshold: expected a number between 0 and 1"),
        ({"autoThreshold": True}, "surefix.autoThreshold"),
        ({"debounceMs": 2.5}, "surefix.debounceMs: expected a whole number"),
        ({"select": ["f401"]}, "surefix.select: expected rule codes"),
        ({"ruffArgs": "--preview"}, "surefix.ruffArgs: expected a list of strings"),
        ({"autoThreshold": 0.4, "reviewThreshold": 0.6}, "reviewThreshold (0.6) is above"),
        ({"typo": 1}, "unknown setting surefix.typo"),
        ([1, 2], "settings must be an object"),
    ],
)
def test_a_bad_value_is_named_and_only_that_field_falls_back(raw: object, problem: str) -> None:
    parsed = parse_settings({**raw, "badgeStyle": "ascii"} if isinstance(raw, dict) else raw)
    assert any(problem in p for p in parsed.problems), parsed.problems
    if isinstance(raw, dict):
        assert parsed.settings.badge_style == "ascii"


def test_the_reference_table_lists_every_setting() -> None:
    table = settings_table()
    assert all(f"`surefix.{f.key}`" in table for f in FIELDS)


def test_the_readme_documents_every_setting_as_defined() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme
