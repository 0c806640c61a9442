"""Settings from initializationOptions and workspace/configuration, checked and re-read live."""

from __future__ import annotations

import asyncio

from lsprotocol import types as t

from .conftest import Editor, Session, band_of, is_fix
from .samples import MESSY


async def bands(e: Editor, uri: str) -> list[str]:
    return [band_of(a) for a in await e.code_actions(uri) if is_fix(a)]


async def test_a_configuration_change_relints_and_changes_bands(editor: Session) -> None:
    async with editor(config={"autoThreshold": 0.0, "reviewThreshold": 0.0}) as e:
        uri = await e.open("messy.py", MESSY)
        before = await bands(e, uri)
        assert "manual-only" not in before and "auto-apply" in before
        published = len(e.client.diagnostics)
        e.client.set_configuration(
            {"autoThreshold": 1.0, "reviewThreshold": 1.0}, section="surefix"
        )
        e.client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings=None))

        async def all_manual() -> list[str]:
            while set(found := await bands(e, uri)) != {"manual-only"}:
                await asyncio.sleep(0.05)
            return found

        assert len(await asyncio.wait_for(all_manual(), 30)) == len(before)
        assert len(e.client.diagnostics) == published


async def test_initialization_options_apply_to_clients_without_configuration(
    editor: Session,
) -> None:
    options = {"surefix": {"autoThreshold": 1.0, "reviewThreshold": 1.0}}
    async with editor("minimal", init_options=options) as e:
        uri = await e.open("messy.py", MESSY)
        assert set(await bands(e, uri)) == {"manual-only"}


async def test_pushed_settings_change_a_client_without_configuration(editor: Session) -> None:
    async with editor("minimal") as e:
        uri = await e.open("messy.py", MESSY)
        e.client.workspace_did_change_configuration(
            t.DidChangeConfigurationParams(settings={"surefix": {"select": ["UP015"]}})
        )

        def codes() -> set[object]:
            return {d.code for d in e.client.diagnostics.get(uri, ())}

        async def only_up015() -> None:
            # the setting's rule, not the broad default's C416 (Ruff's own defaults stay)
            while not {"UP015"} <= codes() or "C416" in codes():
                await asyncio.sleep(0.05)

        await asyncio.wait_for(only_up015(), 30)


async def test_an_invalid_value_is_named_and_defaults_are_used(editor: Session) -> None:
    config = {"autoThreshold": 7, "badgeStyle": "emoji", "debounceMs": "fast", "colour": 1}
    async with editor(config=config) as e:
        message = await e.message("surefix settings")
        assert "surefix.autoThreshold: expected a number between 0 and 1, got 7" in message
        assert "surefix.badgeStyle: expected one of unicode, ascii, percent, got 'emoji'" in message
        assert "surefix.debounceMs" in message and "unknown setting surefix.colour" in message
        uri = await e.open("messy.py", MESSY)
        assert {"auto-apply", "review-suggested"} <= set(await bands(e, uri))
