"""Hover on a fixable violation: its score in words (evidence, reasons, Ruff's tier), the user's
own record, and the exact arithmetic in a details part shaped for the client (`details_style`);
and hover on a `# noqa: CODE` comment: what each rule is, as the Ruff in use describes it.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types as t

from surefix.features.ruff.findings import Position
from surefix.features.ruff.noqa import Directive, directive_at
from surefix.features.ruff.rules import RuleBook
from surefix.model.analysis import Candidate
from surefix.model.scoring.scorer import TrustModel
from surefix.server.lsp.commands import client_feature
from surefix.server.lsp.documents import Analyzed
from surefix.server.wording import HTML, LIST, hover_markdown, rule_doc_markdown

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
    more: Callable[[str], str | None] = lambda rule: None,
) -> t.Hover | None:
    """Every fix under the client position `at` in document `uri` (a file, or a notebook's
    cell), one section each; None where there is none. `more(rule)` is what else the server
    has to say of a rule (a configuration it suggests)."""
    where = analyzed.layout.to_text(uri, at)
    if where is None:
        return None
    found = [c for c in analyzed.analysis.candidates if _under(c, where)]
    if not found:
        return None
    sections = [hover_markdown(c, model, record_words(c.violation.rule), style) for c in found]
    for rule in dict.fromkeys(c.violation.rule for c in found):
        said = more(rule)
        if said:
            sections.append(said)
    text = "\n\n---\n\n".join(sections)
    v = found[0].violation
    return t.Hover(
        contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text),
        range=analyzed.layout.place(v.start, v.end)[1],
    )


def _under(candidate: Candidate, where: Position) -> bool:
    """Whether `where` is in the violation, or in what its fix rewrites on the violation's lines:
    E713's range is `x in y`, its fix takes the `not` before it too."""
    v = candidate.violation
    if v.start <= where <= v.end:
        return True
    lines = range(v.start.line, v.end.line + 1)
    return any(
        e.start <= where <= e.end and e.start.line in lines and e.end.line in lines
        for e in candidate.fix.edits
    )


def noqa_directive(
    analyzed: Analyzed, uri: str, at: t.Position
) -> tuple[Directive, Position] | None:
    """The `# noqa` directive under the client position `at` in document `uri` (in a comment,
    not a string), with that position in code points of the analysed text."""
    where = analyzed.layout.to_text(uri, at)
    if where is None:
        return None
    comments = analyzed.comments()
    found = directive_at(comments.line(where.line), comments.get(where.line), where.column)
    return (found, where) if found is not None else None


def rule_docs(
    analyzed: Analyzed,
    directive: Directive,
    where: Position,
    book: RuleBook,
    reader: Callable[[str], str | None],
) -> t.Hover | None:
    """What the codes of `directive` under `where` are: the one under the cursor, or all of them
    (on `noqa` itself), each as Ruff describes it (`wording.rule_doc_markdown`). `reader(code)`
    names the project's tool that reads a code Ruff does not have. A bare `# noqa` names none."""
    codes = directive.under(where.column)
    if not codes:
        return None
    text = "\n\n---\n\n".join(
        rule_doc_markdown(code, book.get(code), book.version, reader(code))
        for code in dict.fromkeys(codes)
    )
    span = [(s, e) for code, s, e in directive.codes if [code] == codes]
    start, end = span[0] if len(codes) == 1 and span else (directive.start, directive.end)
    return t.Hover(
        contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text),
        range=analyzed.layout.place(Position(where.line, start), Position(where.line, end))[1],
    )
