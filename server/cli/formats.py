"""`surefix check`'s machine-readable formats: JSON, JSON lines, GitHub Actions annotations and
SARIF 2.1.0.

Each says the same findings the text format prints — every fixable violation with its fix, score
and band, most trusted first (`ranked`) — so a CI log, a code-scanning alert and the terminal
agree. Paths are made relative to the directory `check` runs in (the checkout, in CI), since
that is what GitHub resolves an annotation's `file` and a SARIF `%SRCROOT%` against.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

from surefix.features.ruff.edits import split_lines, utf16_units
from surefix.features.ruff.findings import Position
from surefix.model.analysis import Analysis, Candidate, ranked
from surefix.model.scoring.scorer import TrustModel
from surefix.server.reasons import reasons
from surefix.server.wording import badge, evidence_words, explanation_lines

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
RUFF_RULES = "https://docs.astral.sh/ruff/rules/"
SRCROOT = "%SRCROOT%"
# A finding is a fixable violation of a rule the project (or Ruff's default) chose: a warning to
# act on. How far its fix can be trusted is the band, not the finding's severity, so it goes in
# the properties and the message, not in the level.
LEVEL = "warning"


def finding(c: Candidate, model: TrustModel, explain: bool) -> dict[str, object]:
    """One finding of `--format json` (and of each line of `json-lines`, with its path)."""
    item: dict[str, object] = {
        "rule": c.violation.rule,
        "message": c.violation.message,
        "line": c.violation.start.line + 1,
        "column": c.violation.start.column + 1,
        "fix": c.fix.message,
        "applicability": c.fix.applicability,
        "score": round(c.score, 4) if c.score is not None else None,
        "band": c.band,
    }
    if explain:
        e = model.explain(c.row)
        item["explanation"] = {
            "evidence": evidence_words(c, model),
            "reasons": [
                {"text": r.text, "raises": r.raises, "log_odds": r.contribution}
                for r in reasons(e, c.row, c.personal)
            ],
            "base": e.base,
            "groups": e.groups,
            "top": [{"feature": f.label, "contribution": f.contribution} for f in e.top],
        }
    return item


def as_json(analysis: Analysis, model: TrustModel, explain: bool) -> dict[str, object]:
    """One file of `--format json`."""
    fixes = [finding(c, model, explain) for c in ranked(analysis.candidates)]
    return {"path": analysis.path, "model": model.version, "fixes": fixes}


def json_lines(analyses: Sequence[Analysis], model: TrustModel, explain: bool) -> Iterator[str]:
    """`--format json-lines`: one finding per line, each naming its file and model, so a log
    processor (or `grep`) needs no document around it."""
    for analysis in analyses:
        for c in ranked(analysis.candidates):
            item = {"path": analysis.path, "model": model.version}
            yield json.dumps(item | finding(c, model, explain))


def fix_words(c: Candidate, style: str) -> str:
    """`✓ 97% auto-apply: Remove unused import: `os` [ruff: safe]`: what to do, how sure."""
    fix = c.fix.message or "Apply fix"
    return f"{badge(c, style)} {c.band}: {fix} [ruff: {c.fix.applicability}]"


@dataclass(frozen=True)
class Where:
    """Where one file's findings are, as a CI consumer counts: its path relative to `root` (or
    absolute, outside it), 1-based lines and columns, the column in code points or UTF-16 units.

    Columns do not count a byte-order mark (SARIF §3.30.2 says the values SHALL NOT depend on
    one; Ruff does not count it either)."""

    path: str
    relative: bool
    lines: list[str]

    @classmethod
    def of(cls, analysis: Analysis, root: Path) -> Where:
        path = os.path.normpath(os.path.abspath(analysis.path))
        inside = os.path.commonpath([path, str(root)]) == str(root)
        shown = Path(os.path.relpath(path, root)).as_posix() if inside else path
        return cls(shown, inside, split_lines(analysis.text))

    def column(self, pos: Position, utf16: bool) -> int:
        line = self.lines[pos.line] if 0 <= pos.line < len(self.lines) else ""
        before = line[: pos.column]
        if pos.line == 0 and before.startswith("\ufeff"):
            before = before[1:]
        return (utf16_units(before) if utf16 else len(before)) + 1

    def uri(self) -> dict[str, str]:
        """A SARIF artifactLocation: relative to `%SRCROOT%`, or a `file:` URI outside it."""
        if self.relative:
            return {"uri": quote(self.path), "uriBaseId": SRCROOT}
        return {"uri": Path(self.path).as_uri()}


def github_lines(
    analyses: Sequence[Analysis], model: TrustModel, explain: bool, style: str, root: Path
) -> Iterator[str]:
    """`--format github`: one workflow command per finding, which GitHub Actions shows as an
    annotation on the line in the pull request: `::warning file=…,line=…,col=…,endLine=…,
    endColumn=…,title=RULE: message::badge band: fix [ruff: tier]`.

    Columns are Ruff's, in code points, 1-based; `endColumn` is one past the last character, as in
    Ruff's own `--output-format github`."""
    for analysis in analyses:
        where = Where.of(analysis, root)
        for c in ranked(analysis.candidates):
            v = c.violation
            properties = {
                "file": where.path,
                "line": v.start.line + 1,
                "col": where.column(v.start, utf16=False),
                "endLine": v.end.line + 1,
                "endColumn": where.column(v.end, utf16=False),
                "title": f"{v.rule}: {v.message}",
            }
            fields = ",".join(
                f"{key}={github_property(str(value))}" for key, value in properties.items()
            )
            text = "\n".join(
                [fix_words(c, style), *(explanation_lines(model, c) if explain else [])]
            )
            yield f"::{LEVEL} {fields}::{github_data(text)}"


def github_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit does (`escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value (`escapeProperty`): `:` and `,` end one."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def sarif_log(
    analyses: Sequence[Analysis],
    model: TrustModel,
    explain: bool,
    style: str,
    root: Path,
    succeeded: bool,
) -> dict[str, object]:
    """`--format sarif`: one SARIF 2.1.0 run, as GitHub code scanning and SARIF viewers read it.

    Regions count columns in UTF-16 code units, and the run says so (`columnKind`): SARIF 2.1.0
    §3.14.27 requires a run with results on text files to name its unit (there is no default),
    and UTF-16 is the one CodeQL's SARIF names and LSP editors count in unless told otherwise.
    `endColumn` is one past the region's last character (§3.30.8).
    The score, band and Ruff's applicability of each fix are the result's `properties`, under the
    names `--format json` gives them."""
    rules: list[dict[str, object]] = []
    index: dict[str, int] = {}  # rule code -> its place in `rules`, which results refer to
    results = []
    for analysis in analyses:
        where = Where.of(analysis, root)
        for c in ranked(analysis.candidates):
            v = c.violation
            if v.rule not in index:
                index[v.rule] = len(rules)
                rules.append(sarif_rule(v.rule, v.name, v.url))
            item = finding(c, model, explain)
            region = {
                "startLine": v.start.line + 1,
                "startColumn": where.column(v.start, utf16=True),
                "endLine": v.end.line + 1,
                "endColumn": where.column(v.end, utf16=True),
            }
            location = {"physicalLocation": {"artifactLocation": where.uri(), "region": region}}
            results.append(
                {
                    "ruleId": v.rule,
                    "ruleIndex": index[v.rule],
                    "level": LEVEL,
                    "message": {"text": f"{v.message}\n{fix_words(c, style)}"},
                    "locations": [location],
                    "properties": {
                        key: item[key]
                        for key in ("score", "band", "applicability", "fix", "explanation")
                        if key in item
                    },
                }
            )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": sarif_driver(model, rules)},
                "invocations": [{"executionSuccessful": succeeded}],
                "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(root)}},
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }


def sarif_rule(code: str, name: str, url: str | None) -> dict[str, object]:
    """A rule as SARIF describes it: Ruff's code and name, and Ruff's page for it."""
    rule: dict[str, object] = {"id": code}
    if name:
        rule["name"] = name
        rule["shortDescription"] = {"text": name.replace("-", " ").capitalize()}
    else:
        rule["shortDescription"] = {"text": code}
    help_uri = f"{RUFF_RULES}{name}/" if name else url
    if help_uri:
        rule["helpUri"] = help_uri
    return rule


def sarif_driver(model: TrustModel, rules: list[dict[str, object]]) -> dict[str, object]:
    driver: dict[str, object] = {"name": "surefix", "version": _version()}
    home = _home_page()
    if home:
        driver["informationUri"] = home
    driver["rules"] = rules
    driver["properties"] = {"model": model.version}
    return driver


def _version() -> str:
    try:
        return metadata.version("surefix")
    except metadata.PackageNotFoundError:  # run from a tree that was never installed
        return "0+unknown"


def _home_page() -> str | None:
    """The project's home page, as its package metadata declares it (`[project.urls]`)."""
    try:
        meta = metadata.metadata("surefix")
    except metadata.PackageNotFoundError:
        return None
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() in {"homepage", "home", "repository", "source"}:
            return url.strip()
    home = meta.get_all("Home-page") or []
    return home[0] if home else None


def _directory_uri(root: Path) -> str:
    uri = root.as_uri()
    return uri if uri.endswith("/") else f"{uri}/"
