"""Merge mined repositories into the training dataset: one event per (commit, file, rule).

Sweeping commits (a formatter run, pyupgrade) resolve thousands of violations with one decision;
counting each as an event would let a handful of commits outvote everything else. An event is
therefore one (commit, file, rule) group, labelled by its majority (ties are no decision).

The history features — a project's own keep rate for a rule — are computed here, in time order
per repository, from events of strictly earlier commits: the same quantity the language server
computes from the user's own outcomes.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from surefix.features.featurize import FEATURE_NAMES, SCHEMA_VERSION, RuleHistory
from surefix.model.files import atomic_path
from surefix.model.mining.enrich import RESTORED

_PROVENANCE = ("repo", "commit", "ts", "path_hash", "rule", "p_line", "p_col", "n_raw")
DATASET_COLUMNS = (
    *_PROVENANCE,
    "label",
    "detail",
    *(f for f in FEATURE_NAMES if f not in _PROVENANCE),
)


class DatasetError(ValueError):
    """Mined data or the events table built from it is missing, unreadable or malformed."""


def read_rows(path: Path) -> list[dict[str, str]]:
    try:
        with gzip.open(path, "rt", newline="") as fh:
            return list(csv.DictReader(fh))
    except (OSError, EOFError, csv.Error, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc


def deduplicate(rows: Iterable[dict[str, str]]) -> tuple[list[dict[str, object]], int]:
    """One row per (repo, commit, file, rule) with its majority label; returns rows and ties."""
    groups: dict[tuple[str, str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[(row["repo"], row["commit"], row["path_hash"], row["rule"])].append(row)
    events: list[dict[str, object]] = []
    ties = 0
    for members in groups.values():
        votes = Counter(int(m["label"]) for m in members)
        if votes[0] == votes[1]:
            ties += 1
            continue
        label = 1 if votes[1] > votes[0] else 0
        first = next(m for m in members if int(m["label"]) == label)
        event: dict[str, object] = {k: first[k] for k in DATASET_COLUMNS if k in first}
        event["label"] = label
        event["n_raw"] = sum(int(m.get("n_same") or 1) for m in members)
        events.append(event)
    return events, ties


def add_history(events: list[dict[str, object]]) -> None:
    """Fill history_rate / history_n from the same repository's strictly earlier commits."""
    by_repo: dict[str, list[dict[str, object]]] = defaultdict(list)
    for event in events:
        by_repo[str(event["repo"])].append(event)
    for repo_events in by_repo.values():
        repo_events.sort(key=lambda e: (int(str(e["ts"])), str(e["commit"])))
        kept: Counter[str] = Counter()
        total: Counter[str] = Counter()
        i = 0
        while i < len(repo_events):
            j = i
            commit = repo_events[i]["commit"]
            while j < len(repo_events) and repo_events[j]["commit"] == commit:
                j += 1
            batch = repo_events[i:j]
            for e in batch:
                history = RuleHistory(kept[str(e["rule"])], total[str(e["rule"])])
                e["history_rate"] = round(history.rate, 6)
                e["history_n"] = float(history.total)
            for e in batch:
                kept[str(e["rule"])] += int(str(e["label"]))
                total[str(e["rule"])] += 1
            i = j


def build_dataset(mined: Path, out: Path, manifest_path: Path) -> dict[str, object]:
    stats_files = sorted(mined.glob("*.json"))
    if not stats_files:
        raise DatasetError(f"no mined repositories in {mined} (run `surefix mine` first)")
    raw: list[dict[str, str]] = []
    repositories = []
    for stats_file in stats_files:
        stats = json.loads(stats_file.read_text())
        if stats.get("schema_version", 1) != SCHEMA_VERSION:
            raise DatasetError(
                f"{stats_file} was mined under feature schema {stats.get('schema_version', 1)}, "
                f"this surefix builds schema {SCHEMA_VERSION}: run `surefix mine` on its "
                "repository again (it updates older outputs without re-linting)"
            )
        rows = read_rows(stats_file.with_name(stats_file.name.removesuffix(".json") + ".csv.gz"))
        raw.extend(rows)
        repositories.append(_repo_entry(stats, rows))
    events, ties = deduplicate(raw)
    add_history(events)
    events.sort(key=lambda e: (str(e["repo"]), int(str(e["ts"])), str(e["commit"])))
    _write(out, events)
    summary: dict[str, object] = {
        "schema_version": SCHEMA_VERSION,
        "events": len(events),
        "raw_events": len(raw),
        "tied_groups_dropped": ties,
        "kept": sum(int(str(e["label"])) for e in events),
        "not_kept": sum(1 - int(str(e["label"])) for e in events),
        "repositories": len(repositories),
        "ruff": sorted({str(r["ruff"]) for r in repositories}),
        "drop_reasons": _sum_counts(repositories, "drop:"),
        "match_kinds": _sum_counts(repositories, "detail:"),
        "retention_negatives": retention_summary(repositories, events),
        "repository_list": repositories,
    }
    with atomic_path(manifest_path) as tmp:
        tmp.write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def _repo_entry(stats: dict[str, object], rows: list[dict[str, str]]) -> dict[str, object]:
    counts = stats.get("counts") or {}
    assert isinstance(counts, dict)
    return {
        "repo": stats["repo"],
        "head": stats["head"],
        "ruff": stats["ruff"],
        "newest_commit": stats.get("newest"),
        "oldest_commit": stats.get("oldest"),
        "commits_scanned": stats.get("commits_scanned"),
        "raw_events": len(rows),
        "counts": counts,
        "retention_by_rule": stats.get("retention_by_rule", {}),
    }


def retention_summary(
    repositories: list[dict[str, object]], events: list[dict[str, object]]
) -> dict[str, object]:
    """Fixes made and later undone (`enrich.retention`), per rule: raw mined events and
    de-duplicated events whose label they decided."""
    raw: Counter[str] = Counter()
    for repo in repositories:
        by_rule = repo.get("retention_by_rule") or {}
        assert isinstance(by_rule, dict)
        raw.update(by_rule)
    deduplicated = Counter(str(e["rule"]) for e in events if str(e["detail"]).startswith(RESTORED))
    return {
        "events": sum(deduplicated.values()),
        "raw_events": sum(raw.values()),
        "events_by_rule": dict(deduplicated.most_common()),
        "raw_by_rule": dict(raw.most_common()),
    }


def _sum_counts(repositories: list[dict[str, object]], prefix: str) -> dict[str, int]:
    total: Counter[str] = Counter()
    for repo in repositories:
        counts = repo["counts"]
        assert isinstance(counts, dict)
        total.update({k.removeprefix(prefix): v for k, v in counts.items() if k.startswith(prefix)})
    return dict(total.most_common())


def _write(path: Path, events: list[dict[str, object]]) -> None:
    with atomic_path(path) as tmp, gzip.open(tmp, "wt", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=DATASET_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(events)
