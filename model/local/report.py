"""The model report: one self-contained HTML page about the model in use and this user's data.

`write_report` gathers what the page shows (the model, the store, the registry) and writes it;
the language server's command and `surefix report` both call it. No pygls, no scikit-learn: it
is built inside the language server. The reliability diagram is an inline SVG of the user's own
outcomes — the score each fix was offered with against how often fixes in that score range were
kept — because that, not the bundled model's card, is the calibration this user lives with. The
bundled model's held-out metrics and both baselines come from its manifest.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surefix.model.files import atomic_path
from surefix.model.local.demotion import Policy, demotions
from surefix.model.local.registry import Registry
from surefix.model.local.store import KEPT, NEGATIVE, Store

if TYPE_CHECKING:
    from surefix.model.scoring.scorer import TrustModel

REPORT_FILE = "report.html"

BINS = 10
MIN_RELIABILITY = 20
METRIC_ROWS = (
    ("roc_auc", "ROC-AUC"),
    ("brier", "Brier"),
    ("ece", "ECE"),
    ("auto_precision", "auto-apply precision"),
    ("auto_coverage", "auto-apply coverage"),
)
MODEL_NAMES = (
    ("model", "trust model"),
    ("rule_rate_baseline", "per-rule rate baseline"),
    ("tier_baseline", "Ruff tier baseline"),
)


@dataclass(frozen=True)
class ReportInput:
    """What the page shows; gathered by the caller from the store, registry and model."""

    model_version: str
    manifest: Mapping[str, Any]
    stats: Mapping[str, Any]
    rules: Mapping[str, Mapping[str, int]]
    demoted: Mapping[str, str]
    scored: Sequence[tuple[float, bool]]  # (offered score, kept?) of each recorded outcome
    history: Sequence[Mapping[str, str]]  # promotions in effect, oldest first
    collecting: bool


def write_report(
    directory: Path,
    model: TrustModel | None,
    store: Store | None,
    collecting: bool,
    policy: Policy,
) -> Path:
    """Gather the report's inputs — `model` (None: no model loaded), `store` (None: no store
    open), the registry in `directory` — and write `directory/report.html`; returns its path.
    `policy` is the demotion policy in force (from the settings)."""
    outcomes = store.outcomes() if store is not None else []
    rules = store.rule_records() if store is not None else {}
    data = ReportInput(
        model_version=model.version if model is not None else "none",
        manifest=model.manifest if model is not None else {},
        stats=store.stats() if store is not None else {"outcomes": {}, "events": 0},
        rules=rules,
        demoted=demotions(
            store.records_since_trusted() if store is not None else {},
            store.rule_marks() if store is not None else {},
            policy,
        ),
        scored=[
            (float(o["score"]), o["outcome"] == "accepted")
            for o in outcomes
            if o["score"] is not None
        ],
        history=[e.to_dict() for e in Registry(directory).stack()],
        collecting=collecting,
    )
    path = directory / REPORT_FILE
    with atomic_path(path) as tmp:
        tmp.write_text(render(data), encoding="utf-8")
    return path


def render(data: ReportInput) -> str:
    sections = [
        f"<h1>surefix model report</h1><p>Model in use: <b>{esc(data.model_version)}</b>. "
        f"Outcome collection is <b>{'on' if data.collecting else 'off'}</b>.</p>",
        counts_section(data.stats),
        metrics_section(data.manifest),
        reliability_section(data.scored),
        rules_section(data.rules, data.demoted),
        history_section(data.history, data.model_version),
    ]
    return PAGE.format(body="\n".join(sections))


def counts_section(stats: Mapping[str, Any]) -> str:
    outcomes = stats.get("outcomes", {})
    rows = "".join(f"<tr><td>{esc(k)}</td><td>{n}</td></tr>" for k, n in outcomes.items())
    return (
        f"<h2>Your data</h2><p>{stats.get('events', 0)} recorded outcomes (features only, never "
        f"code).</p><table><tr><th>outcome</th><th>count</th></tr>{rows}</table>"
    )


def metrics_section(manifest: Mapping[str, Any]) -> str:
    metrics = manifest.get("metrics", {})
    if not metrics:
        return "<h2>Held-out metrics</h2><p>This model's manifest carries no metrics.</p>"
    parts = ["<h2>Held-out metrics</h2>"]
    if manifest.get("metrics_note"):
        parts.append(f"<p>{esc(manifest['metrics_note'])}.</p>")
    for split, models in metrics.items():
        head = "".join(f"<th>{esc(label)}</th>" for _, label in MODEL_NAMES)
        rows = []
        for key, label in METRIC_ROWS:
            cells = "".join(
                f"<td>{fmt(models.get(name, {}).get(key))}</td>" for name, _ in MODEL_NAMES
            )
            rows.append(f"<tr><td>{esc(label)}</td>{cells}</tr>")
        parts.append(
            f"<h3>split: {esc(split)}</h3><table><tr><th></th>{head}</tr>{''.join(rows)}</table>"
        )
    return "".join(parts)


def reliability_section(scored: Sequence[tuple[float, bool]]) -> str:
    head = "<h2>Reliability on your outcomes</h2>"
    if len(scored) < MIN_RELIABILITY:
        return head + (
            f"<p>{len(scored)} scored outcomes so far; the diagram needs {MIN_RELIABILITY}.</p>"
        )
    return head + reliability_svg(reliability_bins(scored))


def reliability_bins(scored: Sequence[tuple[float, bool]]) -> list[tuple[float, float, int]]:
    """(mean score, kept rate, count) per non-empty tenth of the score range."""
    sums = [[0.0, 0.0, 0] for _ in range(BINS)]
    for score, kept in scored:
        b = sums[min(int(score * BINS), BINS - 1)]
        b[0] += score
        b[1] += kept
        b[2] += 1
    return [(s / n, k / n, int(n)) for s, k, n in sums if n]


def reliability_svg(bins: Sequence[tuple[float, float, int]], size: int = 320) -> str:
    pad = 52
    span = size - 2 * pad

    def xy(p: float, q: float) -> tuple[float, float]:
        return pad + p * span, size - pad - q * span

    points = " ".join("{:.1f},{:.1f}".format(*xy(p, q)) for p, q, _ in bins)
    dots = "".join(
        '<circle cx="{:.1f}" cy="{:.1f}" r="4"><title>{} outcomes</title></circle>'.format(
            *xy(p, q), n
        )
        for p, q, n in bins
    )
    (x0, y0), (x1, y1) = xy(0, 0), xy(1, 1)
    ticks = "".join(
        f'<text x="{xy(v, 0)[0]:.1f}" y="{y0 + 16}" text-anchor="middle">{v:g}</text>'
        f'<text x="{x0 - 6}" y="{xy(0, v)[1] + 4:.1f}" text-anchor="end">{v:g}</text>'
        for v in (0, 0.5, 1)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        'role="img" aria-label="reliability diagram">'
        f'<rect x="{x0}" y="{y1}" width="{span}" height="{span}" fill="none" stroke="#999"/>'
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#bbb" stroke-dasharray="4"/>'
        f'<polyline points="{points}" fill="none" stroke="#2a6"/>{dots}{ticks}'
        f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle">offered score</text>'
        f'<text x="12" y="{size / 2}" transform="rotate(-90 12 {size / 2})" '
        'text-anchor="middle">share kept</text></svg>'
    )


def rules_section(rules: Mapping[str, Mapping[str, int]], demoted: Mapping[str, str]) -> str:
    if not rules:
        return "<h2>Per rule</h2><p>No outcomes recorded yet.</p>"
    rows = []
    for rule in sorted(rules, key=lambda r: -sum(rules[r].values())):
        counts = rules[rule]
        total = sum(counts.values())
        kept = sum(counts.get(k, 0) for k in KEPT)
        rejected = sum(counts.get(k, 0) for k in NEGATIVE)
        why = demoted.get(rule)
        rows.append(
            f"<tr><td>{esc(rule)}</td><td>{total}</td><td>{pct(kept, total)}</td>"
            f"<td>{pct(counts.get('not-useful', 0), total)}</td><td>{pct(rejected, total)}</td>"
            f"<td>{'yes: ' + esc(why) if why else 'no'}</td></tr>"
        )
    return (
        "<h2>Per rule</h2><table><tr><th>rule</th><th>outcomes</th><th>kept</th>"
        "<th>not useful</th><th>rejected</th><th>demoted?</th></tr>" + "".join(rows) + "</table>"
    )


def history_section(history: Sequence[Mapping[str, str]], version: str) -> str:
    rows = "".join(
        f"<tr><td>{esc(e['version'])}</td><td>{esc(e['promoted_at'])}</td>"
        f"<td>{esc(e['note'])}</td></tr>"
        for e in reversed(history)
    )
    return (
        "<h2>Model history</h2><table><tr><th>version</th><th>promoted</th><th>why</th></tr>"
        f"{rows}<tr><td>bundled</td><td>shipped</td><td>trained on mined public history"
        f"</td></tr></table><p>In use: {esc(version)}.</p>"
    )


def fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "-"


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def esc(value: Any) -> str:
    return html.escape(str(value))


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>surefix model report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 56rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; margin: .5rem 0 1rem; }}
td, th {{ border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; }}
circle {{ fill: #2a6; }}
</style></head><body>
{body}
</body></html>
"""
