"""Blind audit of mined labels: print before / Ruff's fix / after for a random sample.

The dataset holds no source text, so the audit rebuilds each event from the repository itself
(the path is found again by its hash among the commit's changed files) and writes the cards to a
local folder — never to the repository. Cards are shuffled and carry no label; the key is a
separate file, so the reviewer judges each card without knowing what the miner decided.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from surefix.features.ruff.findings import LintResult
from surefix.features.ruff.run import fixable_rules
from surefix.model.mining.enrich import RESTORED, fingerprint
from surefix.model.mining.git import Commit, Repository
from surefix.model.mining.label import LineMap, Side, apply_in_region, clusters, region_text
from surefix.model.mining.miner import MineConfig, lint_pairs, path_hash, project_style

CONTEXT_LINES = 2


def sample_events(
    rows: Sequence[dict[str, str]], per_label: int, seed: int, retention: int = 0
) -> list[dict[str, str]]:
    """`per_label` random events of each label, at most one per (repository, commit, rule);
    the not-kept ones start with up to `retention` fixes undone later (`enrich`), which are
    too rare for a plain random draw to judge."""
    rng = random.Random(seed)
    picked: list[dict[str, str]] = []
    for label in ("1", "0"):
        pool = [r for r in rows if r["label"] == label]
        rng.shuffle(pool)
        if label == "0" and retention:
            undone = [r for r in pool if r["detail"].startswith(RESTORED)][:retention]
            pool = undone + [r for r in pool if r not in undone]
        seen: set[tuple[str, str, str]] = set()
        for row in pool:
            key = (row["repo"], row["commit"], row["rule"])
            if key in seen:
                continue
            seen.add(key)
            picked.append(row)
            if sum(1 for r in picked if r["label"] == label) >= per_label:
                break
    rng.shuffle(picked)
    return picked


def write_audit(
    dataset: Path, mirrors: Path, out: Path, per_label: int = 50, seed: int = 7, retention: int = 0
) -> int:
    with gzip.open(dataset, "rt", newline="") as fh:
        rows = list(csv.DictReader(fh))
    sample = sample_events(rows, per_label, seed, retention)
    out.mkdir(parents=True, exist_ok=True)
    select = fixable_rules()
    cards, key = [], {}
    for number, row in enumerate(sample, 1):
        card = render_event(row, mirrors, select)
        if card is None:
            continue
        cards.append(f"=== CARD {number} | {row['repo']} | rule {row['rule']}\n{card}\n")
        key[number] = {"label": int(row["label"]), "detail": row["detail"], "rule": row["rule"]}
    (out / "cards.txt").write_text("\n".join(cards))
    (out / "key.json").write_text(json.dumps(key, indent=1))
    return len(cards)


def render_event(row: dict[str, str], mirrors: Path, select: tuple[str, ...]) -> str | None:
    git_dir = mirrors / row["repo"].replace("/", "+") / "repo"
    repo = Repository(git_dir)
    try:
        sha = row["commit"]
        parent = repo.run("rev-parse", f"{sha}^").strip()
        commit = Commit(sha, parent, int(row["ts"]))
        pair = next(
            (
                p
                for p in repo.changed_python_files(commit)
                if path_hash(row["repo"], p.new_path) == row["path_hash"]
            ),
            None,
        )
        if pair is None:
            return None
        p_bytes, c_bytes = repo.read(parent, pair.old_path), repo.read(sha, pair.new_path)
        if p_bytes is None or c_bytes is None:
            return None
        p_text, c_text = p_bytes.decode(), c_bytes.decode()
        style = project_style(repo, commit, {})
        config = replace(MineConfig(), select=select)
        with tempfile.TemporaryDirectory() as tmp:
            results = lint_pairs({pair: (p_text, c_text)}, style, config, Path(tmp))
        p_result = results.get(f"p/{pair.new_path}", LintResult(()))
        violation = next(
            (
                v
                for v in p_result.violations
                if v.rule == row["rule"] and v.start.line == int(row["p_line"]) and v.fix
            ),
            None,
        )
        if violation is None or violation.fix is None:
            return None
        p, c = Side(p_text, pair.new_path), Side(c_text, pair.new_path)
        line_map = LineMap(repo.hunks(commit).get(pair.new_path, []), len(p.lines), len(c.lines))
        region, _ = clusters(p.document, violation, violation.fix)
        first = max(region.first - CONTEXT_LINES, 0)
        last = min(region.last + CONTEXT_LINES, len(p.lines) - 1)
        fixed = apply_in_region(p, region, first, last) or "(fix edits leave the region)\n"
        c_first, c_last = line_map.c_range(region.first, region.last)
        c_first, c_last = max(c_first - CONTEXT_LINES, 0), c_last + CONTEXT_LINES
        return (
            f"message: {violation.message}\nfix ({violation.fix.applicability}): "
            f"{violation.fix.message}\n--- before (line {first + 1})\n"
            f"{region_text(p.lines, first, last)}--- with Ruff's fix\n{fixed}"
            f"--- after the commit\n{region_text(c.lines, c_first, c_last)}"
            f"{later_section(repo, sha, pair.new_path, p, c, violation.start.line)}"
        )
    finally:
        repo.close()


def later_section(
    repo: Repository, sha: str, path: str, before: Side, after: Side, line: int
) -> str:
    """What became of the replaced statement: the first later commit that descends from the
    fix and has it back (the retention check of `enrich`), or how many later commits did not.
    Every card has this part, whatever its label."""
    first, last = before.document.statement_span(line)
    mark = fingerprint(before.text, line, before.document)
    if mark in "".join(after.text.split()):
        return (
            "--- later: not followed (the commit left the replaced code there, whitespace aside)\n"
        )
    later = repo.run(
        "log", "--reverse", "--ancestry-path", "--format=%H %cs", f"{sha}..HEAD", "--", path
    ).split("\n")
    later = [entry for entry in later if entry.strip()]
    span = last - first + 1
    for entry in later:
        commit, day = entry.split()
        data = repo.read(commit, path)
        if data is None:
            return f"--- later: the file is deleted in {commit[:8]} ({day})\n"
        lines = data.decode("utf-8", "replace").splitlines()
        for i in range(len(lines)):
            if "".join("".join(lines[i : i + span]).split()) == mark:
                lo, hi = max(i - CONTEXT_LINES, 0), min(i + span + CONTEXT_LINES, len(lines)) - 1
                return f"--- later, commit {commit[:8]} ({day})\n{region_text(lines, lo, hi)}"
    return (
        f"--- later: the replaced code does not come back in the {len(later)} later commits "
        "that change this file\n"
    )
