"""Ruff's findings as LSP diagnostics: range, severity, tags, code and documentation link."""

from __future__ import annotations

from lsprotocol import types as t

from surefix.features.ruff.findings import SYNTAX_ERROR, Violation
from surefix.server.lsp.positions import Positions

SOURCE = "surefix"


_ERROR_RULES = ("F821", "F822", "F823", "F631", "F632", "F633", "F701", "F702", "F704", "F706")


_UNNECESSARY = ("F401", "F811", "F841", "ERA001", "RUF100", "F504", "F522", "F523")


_DEPRECATED = ("UP",)


def severity(violation: Violation) -> t.DiagnosticSeverity:
    if violation.rule == SYNTAX_ERROR or violation.rule.startswith("E9"):
        return t.DiagnosticSeverity.Error
    if violation.rule in _ERROR_RULES:
        return t.DiagnosticSeverity.Error
    return t.DiagnosticSeverity.Warning


def tags(violation: Violation) -> list[t.DiagnosticTag] | None:
    if violation.rule in _UNNECESSARY:
        return [t.DiagnosticTag.Unnecessary]
    if violation.rule.startswith(_DEPRECATED) and violation.rule[2:].isdigit():
        return [t.DiagnosticTag.Deprecated]
    return None


def diagnostic(violation: Violation, positions: Positions, data: dict | None) -> t.Diagnostic:
    """One Ruff finding as an LSP diagnostic; `data` lets code actions and hover find its fix."""
    is_rule = violation.rule != SYNTAX_ERROR
    return t.Diagnostic(
        range=positions.range(violation.start, violation.end),
        message=violation.message,
        severity=severity(violation),
        code=violation.rule if is_rule else None,
        code_description=t.CodeDescription(href=violation.url) if violation.url else None,
        source=SOURCE,
        tags=tags(violation),
        data=data,
    )
