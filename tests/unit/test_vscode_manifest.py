"""The VS Code extension's manifest agrees with the server: the same settings with the same
defaults, and every palette command has a handler. Plain file reads, no node needed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from surefix.server.lsp.settings import BADGE_STYLES, FIELDS, SECTION, Settings

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"
CLIENT_ONLY = {"surefix.server.command", "surefix.server.python"}  # how to start the server


def manifest() -> dict[str, Any]:
    return dict(json.loads((EXTENSION / "package.json").read_text(encoding="utf-8")))


def properties() -> dict[str, dict[str, Any]]:
    return dict(manifest()["contributes"]["configuration"]["properties"])


def test_every_server_setting_is_contributed_and_nothing_else() -> None:
    server = {f"{SECTION}.{f.key}" for f in FIELDS}
    assert set(properties()) - CLIENT_ONLY == server


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.key)
def test_contributed_default_is_the_servers_default(field: Any) -> None:
    default = getattr(Settings(), field.attr)
    expected = list(default) if isinstance(default, tuple) else default
    assert properties()[f"{SECTION}.{field.key}"]["default"] == expected


def test_badge_style_offers_exactly_the_servers_styles() -> None:
    assert properties()[f"{SECTION}.badgeStyle"]["enum"] == list(BADGE_STYLES)


def test_every_palette_command_is_in_the_surefix_category_and_has_a_handler() -> None:
    handlers = (EXTENSION / "src" / "commands.ts").read_text(encoding="utf-8")
    registered = set(re.findall(r"'(surefix\.vscode\.\w+)'", handlers))
    commands = manifest()["contributes"]["commands"]
    assert {c["category"] for c in commands} == {"Surefix"}
    assert {c["command"] for c in commands} == registered
