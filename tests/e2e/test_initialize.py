"""A client connects: what the server promises before any file is open."""

from __future__ import annotations

import pytest
from lsprotocol import types as t

from .conftest import PRESETS, Session

ENCODINGS = {
    "visual_studio_code": t.PositionEncodingKind.Utf16,
    "neovim": t.PositionEncodingKind.Utf8,
    "emacs": t.PositionEncodingKind.Utf32,
    "minimal": t.PositionEncodingKind.Utf16,
}


@pytest.mark.parametrize("preset", PRESETS)
async def test_capabilities_are_advertised_for_every_client(editor: Session, preset: str) -> None:
    async with editor(preset) as e:
        caps = e.result.capabilities
        assert e.result.server_info is not None and e.result.server_info.name == "surefix"
        assert caps.position_encoding == ENCODINGS[preset]
        sync = caps.text_document_sync
        assert isinstance(sync, t.TextDocumentSyncOptions)
        assert sync.change == t.TextDocumentSyncKind.Incremental and sync.open_close
        actions = caps.code_action_provider
        assert isinstance(actions, t.CodeActionOptions)
        assert set(actions.code_action_kinds or ()) == {
            t.CodeActionKind.QuickFix,
            t.CodeActionKind.SourceFixAll,
            "source.fixAll.surefix",
            t.CodeActionKind.SourceOrganizeImports,
            "source.organizeImports.surefix",
        }
        assert actions.resolve_provider is True
        assert caps.hover_provider
        assert caps.document_formatting_provider and caps.document_range_formatting_provider
        commands = set(caps.execute_command_provider.commands)  # type: ignore[union-attr]
        assert {
            "surefix.applyTrustedFixes",
            "surefix.recordOutcome",
            "surefix.fixAllOfRule",
        } <= commands
