"""The `surefix` command line as a user runs it: real process, real Ruff, real model."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from math import floor
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "server" / "sample_project"


def surefix(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "surefix.server.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_check_scores_every_fixable_violation_of_the_sample_project() -> None:
    result = surefix("check", str(SAMPLE), "--format", "json")
    assert result.returncode == 1, result.stderr  # like a linter: 1 when there is something to fix
    files = json.loads(result.stdout)
    fixes = [f for file in files for f in file["fixes"]]
    assert {"F401", "UP031", "UP006"} <= {f["rule"] for f in fixes}
    assert all(0.0 <= f["score"] <= 1.0 for f in fixes)
    assert {f["band"] for f in fixes} <= {"auto-apply", "review-suggested", "manual-only"}
    for file in files:  # the badge's percent first, then rule, line and column: one order
        ranks = [
            (-min(99, max(1, floor(100 * f["score"] + 1e-9))), f["rule"], f["line"], f["column"])
            for f in file["fixes"]
        ]
        assert ranks == sorted(ranks)


def test_auto_apply_is_only_ever_given_to_safe_fixes() -> None:
    files = json.loads(surefix("check", str(SAMPLE), "--format", "json").stdout)
    auto = [f for file in files for f in file["fixes"] if f["band"] == "auto-apply"]
    assert all(f["applicability"] == "safe" for f in auto)


def test_explanations_add_up_to_the_score() -> None:
    files = json.loads(surefix("check", str(SAMPLE), "--format", "json", "--explain").stdout)
    for fix in (f for file in files for f in file["fixes"]):
        e = fix["explanation"]
        logit = e["base"] + sum(e["groups"].values())
        assert 1 / (1 + pow(2.718281828459045, -logit)) == pytest.approx(fix["score"], abs=1e-4)


def test_demo_prints_badges_and_a_summary() -> None:
    result = surefix("demo")
    assert result.returncode == 0, result.stderr
    assert "%" in result.stdout and "auto-apply" in result.stdout
    assert "fixes:" in result.stdout.splitlines()[-1]


def test_project_config_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ruff.lint]\nselect = ["UP"]\n')
    (tmp_path / "m.py").write_text('import os\nx = "%s" % 1\n')
    files = json.loads(surefix("check", str(tmp_path), "--format", "json").stdout)
    assert {f["rule"] for f in files[0]["fixes"]} == {"UP031"}  # F401 is not selected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "/nonexistent/file.py"], "no such file"),
        (
            ["check", str(SAMPLE), "--ruff", "/nonexistent/ruff"],
            "Ruff not found at /nonexistent/ruff",
        ),
        (["check", str(SAMPLE), "--model", "/nonexistent/model"], ""),
        (["mine", "/tmp"], "not a git repository"),
        (["dataset", "--mined", "/nonexistent"], "no mined repositories"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(args: list[str], message: str) -> None:
    result = surefix(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("surefix: error:"), result.stderr
    assert message in lines[0]


GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def golden(name: str, actual: str) -> None:
    """Compare with a committed expected output; `SUREFIX_UPDATE_GOLDEN=1` rewrites it after a
    deliberate change (a retrained model moves scores)."""
    path = GOLDEN / name
    if os.environ.get("SUREFIX_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual)
    assert actual == path.read_text()


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    copy = tmp_path / "sample"
    shutil.copytree(SAMPLE, copy)
    return copy


def test_check_output_on_the_sample_project(sample: Path) -> None:
    result = surefix("check", ".", cwd=sample)
    assert result.returncode == 1, result.stderr
    golden("check_sample.txt", result.stdout)


def test_fix_diff_on_the_sample_project_writes_nothing(sample: Path) -> None:
    before = {p: p.read_text() for p in sample.rglob("*.py")}
    result = surefix("fix", ".", "--diff", cwd=sample)
    assert result.returncode == 1  # like `ruff --diff`: 1 when there is something to change
    golden("fix_sample.diff", result.stdout)
    golden("fix_sample.summary", result.stderr)
    assert {p: p.read_text() for p in sample.rglob("*.py")} == before


def test_fix_applies_the_auto_band_and_leaves_valid_python(sample: Path) -> None:
    result = surefix("fix", ".", cwd=sample)
    assert result.returncode == 0, result.stderr
    for path in sample.rglob("*.py"):
        ast.parse(path.read_text())
    after = json.loads(surefix("check", ".", "--format", "json", cwd=sample).stdout)
    assert not [f for file in after for f in file["fixes"] if f["band"] == "auto-apply"]
    assert "applied" in result.stdout and "skipped" in result.stdout


def test_a_lower_bar_with_unsafe_fixes_applies_more(sample: Path, tmp_path: Path) -> None:
    strict = tmp_path / "strict"
    shutil.copytree(sample, strict)
    surefix("fix", ".", cwd=strict)
    surefix("fix", ".", "--min-trust", "0", "--unsafe-fixes", cwd=sample)
    remaining = json.loads(surefix("check", ".", "--format", "json", cwd=sample).stdout)
    left_strict = json.loads(surefix("check", ".", "--format", "json", cwd=strict).stdout)
    count = sum(len(f["fixes"]) for f in remaining)
    assert count < sum(len(f["fixes"]) for f in left_strict)
    assert all(f["applicability"] == "display-only" for file in remaining for f in file["fixes"])


def test_a_file_that_is_not_utf8_is_reported_and_the_rest_still_checked(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_bytes(b"x = '\xff'\n")
    (tmp_path / "good.py").write_text("import os\n")
    result = surefix("check", str(tmp_path), "--format", "json")
    assert result.returncode == 2
    assert "bad.py: not UTF-8 text" in result.stderr
    assert [f["rule"] for f in json.loads(result.stdout)[0]["fixes"]] == ["F401"]


def test_fix_keeps_crlf_line_endings(tmp_path: Path) -> None:
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["UP015"]\n')
    path = tmp_path / "m.py"
    path.write_bytes(b'open("f", "r")\r\nx = 1\r\n')
    assert surefix("fix", str(path), "--min-trust", "0").returncode == 0
    assert path.read_bytes() == b'open("f")\r\nx = 1\r\n'


def test_every_sub_command_is_found_in_the_module_named_for_it() -> None:
    """`surefix serve` imports only its own module: each name must lead to the module that
    registers it, or that command would be "invalid choice"."""
    import argparse

    from surefix.server.cli import MODULES, build_parser

    def names(parser: argparse.ArgumentParser) -> set[str]:
        (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return set(commands.choices)

    assert names(build_parser()) == set(MODULES)
    for command in MODULES:
        assert command in names(build_parser(command))


def test_fix_fails_when_it_changed_a_file_if_asked(tmp_path: Path) -> None:
    """`--exit-non-zero-on-fix` (the pre-commit hook's): 1 once a file was written, like a hook
    that modifies files; 0 when there was nothing left to apply."""
    path = tmp_path / "m.py"
    path.write_text("import os\nimport sys\n\nprint(sys.argv)\n")
    first = surefix("fix", "m.py", "--exit-non-zero-on-fix", cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert path.read_text() == "import sys\n\nprint(sys.argv)\n"
    again = surefix("fix", "m.py", "--exit-non-zero-on-fix", cwd=tmp_path)
    assert again.returncode == 0, again.stderr


NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "a1",
            "metadata": {},
            "outputs": [],
            "source": ["import os\n", "import sys\n", "print(sys)"],
        }
    ],
    "metadata": {"language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_named_files_that_are_not_python_are_skipped(tmp_path: Path) -> None:
    """What a hook runner or a glob may pass: Ruff would lint a README as Python, and a
    notebook's positions count within its cells, not in the JSON `fix` would edit."""
    (tmp_path / "README.md").write_text("import os\n")
    (tmp_path / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    (tmp_path / "tool").write_text("#!/usr/bin/env python3\nimport os\n")  # Python by shebang
    (tmp_path / "m.py").write_text("import os\n")
    others = {p: p.read_bytes() for p in (tmp_path / "README.md", tmp_path / "nb.ipynb")}

    named = ("README.md", "nb.ipynb", "tool", "m.py")
    result = surefix("check", *named, "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert [f["path"] for f in json.loads(result.stdout)] == ["tool", "m.py"]
    assert result.stderr.splitlines() == [
        "surefix: README.md: not a Python file; skipped",
        "surefix: nb.ipynb: not a Python file; skipped",
    ]
    alone = surefix("check", "README.md", "nb.ipynb", "--format", "json", cwd=tmp_path)
    assert alone.returncode == 0 and json.loads(alone.stdout) == [], alone.stderr
    fixed = surefix("fix", "README.md", "nb.ipynb", "--exit-non-zero-on-fix", cwd=tmp_path)
    assert fixed.returncode == 0 and fixed.stdout == "", fixed.stderr
    assert {p: p.read_bytes() for p in others} == others


@pytest.mark.parametrize("fmt", ["json-lines", "github", "sarif"])
def test_every_format_keeps_the_exit_codes(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    (tmp_path / "messy.py").write_text("import os\n")
    (tmp_path / "bad.py").write_bytes(b"x = '\xff'\n")
    clean = surefix("check", "clean.py", "--format", fmt, cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    messy = surefix("check", "messy.py", "--format", fmt, cwd=tmp_path)
    assert messy.returncode == 1, messy.stderr
    assert "F401" in messy.stdout
    failed = surefix("check", "bad.py", "messy.py", "--format", fmt, cwd=tmp_path)
    assert failed.returncode == 2
    assert "bad.py: not UTF-8 text" in failed.stderr and "F401" in failed.stdout
    if fmt == "sarif":
        (run,) = json.loads(failed.stdout)["runs"]
        assert run["invocations"] == [{"executionSuccessful": False}]


def test_json_lines_are_the_json_findings_one_per_line() -> None:
    files = json.loads(surefix("check", str(SAMPLE), "--format", "json").stdout)
    lines = surefix("check", str(SAMPLE), "--format", "json-lines").stdout.splitlines()
    expected = [
        {"path": file["path"], "model": file["model"], **fix}
        for file in files
        for fix in file["fixes"]
    ]
    assert [json.loads(line) for line in lines] == expected
    assert len(expected) > 10


def test_github_annotations_escape_what_ruff_really_says(tmp_path: Path) -> None:
    """F504's message quotes `%` and lists the unused keys after a colon, with commas: in the
    title (a property) all three are escaped, in the message only `%`. The file name has a
    comma and a colon too."""
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["F504"]\n')
    name = "odd, name: 1.py"
    line = 'x = "%(a)s" % {"a": 1, "b": 2, "c": 3}'
    (tmp_path / name).write_text(line + "\n")
    (fix,) = json.loads(surefix("check", name, "--format", "json", cwd=tmp_path).stdout)[0]["fixes"]
    assert fix["message"] == "`%`-format string has unused named argument(s): b, c"
    assert fix["fix"] == "Remove extra named arguments: b, c"
    assert fix["band"] == "auto-apply"
    percent = min(99, max(1, floor(100 * fix["score"] + 1e-9)))

    result = surefix("check", name, "--format", "github", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"::warning file=odd%2C name%3A 1.py,line=1,col=5,endLine=1,endColumn={len(line) + 1},"
        "title=F504%3A `%25`-format string has unused named argument(s)%3A b%2C c"
        f"::✓ {percent}%25 auto-apply: Remove extra named arguments: b, c [ruff: safe]"
    ]


SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"


def sarif_validator() -> Any:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)  # draft-04, as the schema says
    validator.check_schema(schema)
    return validator(schema)


def test_sarif_is_valid_sarif_2_1_0_with_utf16_columns(tmp_path: Path) -> None:
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["F401", "UP031"]\n')
    (tmp_path / "src").mkdir()
    path = tmp_path / "src" / "émoji.py"
    line = 'print("😀", "%s" % 1); import os'  # U+1F600 is two UTF-16 units, one code point
    path.write_text(line + "\n")
    files = json.loads(surefix("check", str(path), "--format", "json", cwd=tmp_path).stdout)
    findings = {f["rule"]: f for f in files[0]["fixes"]}

    result = surefix("check", str(path), "--format", "sarif", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    validator = sarif_validator()
    assert not [e.message for e in validator.iter_errors(log)]
    (run,) = log["runs"]
    assert log["version"] == "2.1.0" and run["columnKind"] == "utf16CodeUnits"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    driver = run["tool"]["driver"]
    assert driver["name"] == "surefix" and driver["version"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert rules["F401"]["name"] == "unused-import"
    assert rules["F401"]["helpUri"] == "https://docs.astral.sh/ruff/rules/unused-import/"
    assert (
        rules["UP031"]["helpUri"] == "https://docs.astral.sh/ruff/rules/printf-string-formatting/"
    )
    assert {r["ruleId"] for r in run["results"]} == set(findings) == {"F401", "UP031"}
    for r in run["results"]:
        f = findings[r["ruleId"]]
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["properties"] == {k: f[k] for k in ("score", "band", "applicability", "fix")}
        assert r["message"]["text"].startswith(f["message"] + "\n")
        (location,) = r["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": "src/%C3%A9moji.py", "uriBaseId": "%SRCROOT%"}
    region = next(r for r in run["results"] if r["ruleId"] == "F401")["locations"][0]
    region = region["physicalLocation"]["region"]
    start = line.index("os")  # code points before `os`; the emoji adds one UTF-16 unit
    assert findings["F401"]["column"] == start + 1
    assert region == {
        "startLine": 1,
        "startColumn": start + 2,
        "endLine": 1,
        "endColumn": start + 4,
    }

    region["startColumn"] = 0  # the schema does check: columns start at 1
    assert list(validator.iter_errors(log))
