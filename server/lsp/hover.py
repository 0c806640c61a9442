"""Hover on a fixable violation: its score in words (evidence, reasons, Ruff's tier), the user's
own record, and the exact arithmetic in a details part shaped for the client (`details_style`).
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types as t

from surefix.model.scoring.scorer import TrustModel
from surefix.server.lsp.commands import client_feature
from surefix.server.lsp.documents import Analyzed
from surefix.server.wording import HTML, LIST, hover_markdown

# `capabilities.experimental.surefix.hoverHtml: true`: the client renders HTML in hover Markdown.
HOVER_HTML = "hoverHtml"


def details_style(capabilities: t.ClientCapabilities) -> str:
    """`HTML` (a collapsed `<details>` with a table) for a client that says it renders HTML in
    hover Markdown, `LIST` for every other (see `wording.details_part`).

    The client's own say-so decides, not `clientInfo.name`: VS Code drops HTML from hover
    unless the extension showing it turned on `supportHtml`, so "Visual Studio Code" alone does
    not mean a `<details>` would collapse — our extension sets that option and the flag together.
    Neovim (`clientInfo.name` "Neovim") renders no HTML and no tables, and gets the list; so
    does any client we know nothing of, since the list reads well even as plain text.
    """
    return HTML if client_feature(capabilities, HOVER_HTML) else LIST


def hover(
    analyzed: Analyzed,
    uri: str,
    at: t.Position,
    model: TrustModel | None,
    record_words: Callable[[str], str | None],
    style: str = LIST,
) -> t.Hover | None:
    """Every fix under the client position `at` in document `uri` (a file, or a notebook's
    cell), one section each; None where there is none."""
    where = analyzed.layout.to_text(uri, at)
    if where is None:
        return None
    found = [
        c for c in analyzed.analysis.candidates if c.violation.start <= where <= c.violation.end
    ]
    if not found:
        return None
    text = "\n\n---\n\n".join(
        hover_markdown(c, model, record_words(c.violation.rule), style) for c in found
    )
    v = found[0].violation
    return t.Hover(
        contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text),
        range=analyzed.layout.place(v.start, v.end)[1],
    )
