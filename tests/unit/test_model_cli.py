"""`surefix train` / `surefix eval` end to end on a tiny table, and their error lines."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_model_tables import write_events

from surefix.model.scoring.artifact import load_artifact, save_artifact
from surefix.model.scoring.evidence import Tally
from surefix.model.scoring.scorer import load_model
from surefix.model.training.dataset import load_events
from surefix.model.training.evaluation import time_split
from surefix.model.training.export import add_evidence
from surefix.server.cli import main

FAST = ["--bootstrap", "20", "--no-gbm"]


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_events(tmp_path_factory.mktemp("data") / "events.csv.gz")


@pytest.fixture(scope="module")
def trained(events: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    code = main(
        ["train", "--data", str(events), "--out", str(out / "bundled"),
         "--reliability", str(out / "rel.png"), "--metrics", str(out / "metrics.json"),
         "--ruff-version", "0.0-test", *FAST]
    )  # fmt: skip
    assert code == 0
    return out


def test_train_exports_a_loadable_model(trained: Path) -> None:
    model = load_model(trained / "bundled")
    assert model.manifest["training_data"]["events"] == 600
    assert model.manifest["training_data"]["ruff_version"] == "0.0-test"
    assert 0.0 < model.thresholds.auto <= 1.0
    assert (trained / "rel.png").stat().st_size > 0
    report = json.loads((trained / "metrics.json").read_text())
    assert report["export"]["parity_max_abs_diff"] <= 1e-9


def test_train_writes_the_evidence_hover_quotes(trained: Path, events: Path) -> None:
    """Per rule, per family and overall: the events, kept and projects of the table itself."""
    ds = load_events(events)
    evidence = load_model(trained / "bundled").evidence
    assert evidence is not None
    assert evidence.overall == Tally(len(ds), int(ds.y.sum()), len(set(ds.repo.tolist())))
    for rule in set(ds.rule):
        mine = [i for i, r in enumerate(ds.rule) if r == rule]
        expected = Tally(len(mine), int(ds.y[mine].sum()), len({ds.repo[i] for i in mine}))
        assert evidence.rules[rule] == expected
    assert sum(t.events for t in evidence.families.values()) == len(ds)


def test_an_artifact_without_evidence_gets_it_without_a_refit(
    trained: Path, events: Path, tmp_path: Path
) -> None:
    older = tmp_path / "older"
    art = load_artifact(trained / "bundled")
    save_artifact(replace(art, evidence=None), older)
    assert load_model(older).evidence is None
    added = add_evidence(older, load_events(events))
    again = load_model(older)
    assert again.evidence == added == art.evidence
    assert again.version == art.version and np.array_equal(again.artifact.coef, art.coef)


def test_eval_json_is_one_object_with_every_model(
    events: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "--data", str(events), "--json", "--bootstrap", "20"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"] == {**report["dataset"], "events": 600, "repositories": 6}
    for split in ("by_repository", "by_time"):
        models = report["splits"][split]
        assert set(models) == {"model", "tier_baseline", "rule_rate_baseline", "gbm"}
        for name in ("model", "tier_baseline", "rule_rate_baseline"):
            for key in ("roc_auc", "pr_auc", "brier", "ece", "auto_precision", "auto_coverage"):
                assert isinstance(models[name][key], float), (split, name, key)
            assert len(models[name]["roc_auc_ci"]) == 2
    walk = report["splits"]["walk_forward"]
    assert walk["after_0"]["events"] == 600
    assert walk["after_10"]["events"] < 600
    for step in walk.values():
        assert {"model", "model_unshifted", "rule_rate_baseline"} <= set(step)
        assert isinstance(step["model"]["roc_auc"], float)


def test_eval_of_existing_model_does_not_train(
    trained: Path, events: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["eval", "--data", str(events), "--model", str(trained / "bundled"), "--json"]
    assert main([*args, "--bootstrap", "20"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["splits"]["external"]) == {"model", "tier_baseline", "rule_rate_baseline"}
    assert report["splits"]["walk_forward"]["after_0"]["events"] == 600


def test_time_split_keeps_commits_whole_and_takes_the_newest(events: Path) -> None:
    ds = load_events(events)
    train, test = time_split(ds)
    assert 0.2 < len(test) / len(ds) < 0.35
    assert not set(ds.commit[train]) & set(ds.commit[test])
    for repo in set(ds.repo):
        assert ds.ts[test][ds.repo[test] == repo].min() > ds.ts[train][ds.repo[train] == repo].max()


def run_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("surefix: error:") and err.count("\n") == 1, err
    return err


def test_missing_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = run_error(["eval", "--data", str(tmp_path / "nope.csv.gz")], capsys)
    assert "not found" in err


def test_dataset_missing_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv.gz"
    with gzip.open(bad, "wt") as fh:
        fh.write("repo,commit,ts,label\nowner/a,abc,1,1\n")
    err = run_error(["eval", "--data", str(bad)], capsys)
    assert "lacks required columns" in err


def test_dataset_not_gzip_or_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(b"\x1f\x8b\x08garbage")
    run_error(["train", "--data", str(bad), "--out", str(tmp_path / "m")], capsys)


def test_bad_label(events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = gzip.decompress(events.read_bytes()).decode().splitlines()
    header = text[0].split(",")
    cells = text[1].split(",")
    cells[header.index("label")] = "maybe"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([text[0], ",".join(cells)]) + "\n")
    assert "label" in run_error(["eval", "--data", str(bad)], capsys)


def copy_artifact(source: Path, target: Path) -> Path:
    target.mkdir()
    for name in ("manifest.json", "params.json"):
        (target / name).write_bytes((source / name).read_bytes())
    return target


def test_tampered_artifact(
    trained: Path, events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_artifact(trained / "bundled", tmp_path / "copy")
    params = json.loads((copy / "params.json").read_text())
    params["coef"][0] = float(np.float64(params["coef"][0]) + 1)
    (copy / "params.json").write_text(json.dumps(params))
    err = run_error(["eval", "--data", str(events), "--model", str(copy)], capsys)
    assert "checksum" in err


def test_wrong_schema_artifact(
    trained: Path, events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_artifact(trained / "bundled", tmp_path / "copy")
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["schema_version"] = -1
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert "schema" in run_error(["eval", "--data", str(events), "--model", str(copy)], capsys)


def test_training_refuses_a_dataset_with_reserved_projects(
    events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mixed = tmp_path / "mixed.csv.gz"
    with gzip.open(events, "rt") as src, gzip.open(mixed, "wt") as dst:
        dst.write(src.read().replace("owner/repo0,", "pallets/flask,"))
    err = run_error(["train", "--data", str(mixed), "--out", str(tmp_path / "m")], capsys)
    assert "reserved evaluation projects ['pallets/flask']" in err


def test_model_seal_seals_an_older_artifact_and_refuses_a_broken_one(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_artifact(trained / "bundled", tmp_path / "copy")
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["seal"]
    manifest["format_version"] = 1  # as written before manifests were sealed
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert "is not sealed" in run_error(["check", "--model", str(copy), str(copy)], capsys)
    assert main(["model", "seal", str(copy)]) == 0
    assert capsys.readouterr().out.startswith(f"sealed {copy} (manifest sha256 ")
    assert load_model(copy).version == load_model(trained / "bundled").version
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["thresholds"]["auto"] = 0
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert "thresholds.auto is 0" in run_error(["model", "seal", str(copy)], capsys)
