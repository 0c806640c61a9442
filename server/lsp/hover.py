"""Hover on a fixable violation: its score explained, Ruff's tier, and the user's own record."""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types as t

from surefix.model.scoring.scorer import TrustModel
from surefix.server.lsp.documents import Analyzed
from surefix.server.wording import hover_markdown


def hover(
    analyzed: Analyzed,
    at: t.Position,
    model: TrustModel | None,
    record_words: Callable[[str], str | None],
) -> t.Hover | None:
    """Every fix under the client position `at`, one section each; None where there is none."""
    where = analyzed.positions.from_client(at)
    found = [
        c for c in analyzed.analysis.candidates if c.violation.start <= where <= c.violation.end
    ]
    if not found:
        return None
    text = "\n\n---\n\n".join(
        hover_markdown(c, model, record_words(c.violation.rule)) for c in found
    )
    v = found[0].violation
    return t.Hover(
        contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text),
        range=analyzed.positions.range(v.start, v.end),
    )
