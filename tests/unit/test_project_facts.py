"""What a project chose, read from real files in a temporary folder (and checked against the real
Ruff wherever our reading of Ruff could be wrong: selectors, `--config` values, the cwd)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from surefix.features.project.cache import FactsCache
from surefix.features.project.declared import python_floor
from surefix.features.project.facts import (
    FORMATTER_CONFLICTS,
    RUFF_DEFAULT_SELECT,
    ProjectFacts,
    project_facts,
    project_root,
    selects,
)
from surefix.features.project.plugins import PLUGINS
from surefix.features.project.root import SymlinkLoop, find_ruff_config
from surefix.features.project.ruff_codes import RUFF_CODES
from surefix.features.project.selectors import Verdict, decide, is_ruff_selector

RUFF = str(Path(sys.executable).parent / "ruff")


def write(root: Path, files: dict[str, str]) -> Path:
    """The files of a project under `root` (dedented), and `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def ruff(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [RUFF, "check", "--no-cache", "--output-format", "json", "--exit-zero", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)


def ruff_for(facts: ProjectFacts, *paths: str) -> list[str]:
    """`ruff check` the way the integrator runs it for a project without a Ruff config: at the
    root, with the facts' selection, target and overrides. Returns the codes reported."""
    args = ["--select", ",".join(facts.select)]
    if facts.ignore:
        args += ["--ignore", ",".join(facts.ignore)]
    if facts.target_version:
        args += ["--target-version", facts.target_version]
    for override in facts.ruff_overrides:
        args += ["--config", override]
    done = ruff(facts.root, *args, *paths)
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr.lower(), done.stderr
    return sorted(v["code"] for v in json.loads(done.stdout))


# -- Ruff's selectors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "rule", "expected"),
    [
        ("ALL", "SIM300", True),
        ("F", "F401", True),
        ("F", "FA100", False),
        ("FA", "FA100", True),
        ("D", "D100", True),
        ("D", "DJ001", False),
        ("S", "S101", True),
        ("S", "SIM300", False),
        ("C", "C401", True),
        ("C", "C901", True),
        ("C4", "C901", False),
        ("C90", "C901", True),
        ("PL", "PLC0414", True),
        ("PL", "PLE0100", True),
        ("PL", "PLR0913", True),
        ("PL", "PLW0120", True),
        ("PLR", "PLW0120", False),
        ("PLR09", "PLR0913", True),
        ("E4", "E401", True),
        ("E4", "E501", False),
        ("E", "W291", False),
        ("T", "T100", True),
        ("T", "T201", True),
        ("T", "TC001", False),
        ("T20", "T100", False),
        ("E501", "E501", True),
        ("E50", "E501", True),
        ("E5010", "E501", False),
        ("RUF100", "RUF10", False),
    ],
)
def test_selector_semantics(selector: str, rule: str, expected: bool) -> None:
    assert selects(selector, rule) is expected


@pytest.mark.parametrize(
    "selector", ["ALL", "F", "D", "S", "C", "T", "PL", "PLR09", "E", "E4", "W", "FA", "DJ", "SIM"]
)
def test_selectors_select_what_ruff_enables(tmp_path: Path, selector: str) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    done = ruff(
        tmp_path, "--isolated", "--preview", "--show-settings", "--select", selector, "m.py"
    )
    enabled = done.stdout.split("linter.rules.enabled = [", 1)[1].split("]", 1)[0]
    by_ruff = set(re.findall(r"\(([A-Z]+[0-9]+)\)", enabled))
    ours = {code for code in RUFF_CODES if selects(selector, code)}
    # Ruff drops one of each incompatible pydocstyle pair (D203/D211, D212/D213) by itself.
    assert ours ^ by_ruff <= {"D203", "D213"}


def test_the_most_specific_selector_decides_and_ignore_wins_a_tie() -> None:
    assert decide(["E"], ["E501"], "E501") == (Verdict.IGNORED, "E501")
    assert decide(["E501"], ["E"], "E501") == (Verdict.SELECTED, "E501")
    assert decide(["E5"], ["E5"], "E501") == (Verdict.IGNORED, "E5")
    assert decide(["E"], [], "W291") == (Verdict.UNSELECTED, None)
    assert decide(["ALL"], ["PL"], "PLR0913")[0] is Verdict.IGNORED
    assert decide(["PLR"], ["PL"], "PLR0913")[0] is Verdict.SELECTED


def test_the_code_table_is_the_installed_ruffs() -> None:
    done = subprocess.run(
        [RUFF, "rule", "--all", "--output-format", "json"], capture_output=True, timeout=60
    )
    rules = json.loads(done.stdout)
    installed = {r["code"] for r in rules if r["code"] and "Removed" not in (r["status"] or {})}
    assert installed == RUFF_CODES, "regenerate features/project/ruff_codes.py:\n" + " ".join(
        sorted(installed)
    )


@pytest.mark.parametrize(
    ("selector", "accepted"),
    [("E24", True), ("C90", True), ("PL", True), ("E704", False), ("B950", False), ("E8", False)],
)
def test_only_selectors_ruff_accepts_count(tmp_path: Path, selector: str, accepted: bool) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    assert is_ruff_selector(selector) is accepted
    assert (ruff(tmp_path, "--isolated", "--select", selector, "m.py").returncode == 0) is accepted


# -- where the project is -------------------------------------------------------------------------


def test_a_src_layout_project_is_rooted_at_its_pyproject(tmp_path: Path) -> None:
    root = write(tmp_path, {"pyproject.toml": "[project]\nname = 'app'\n", "src/app/m.py": ""})
    write(root, {"tests/test_m.py": "", "src/app/__init__.py": ""})
    assert project_root(root / "src/app/m.py") == root
    assert project_root(root / "tests/test_m.py") == root
    assert project_facts(root / "src/app/m.py").root == root


def test_a_flat_layouts_tests_see_the_package_as_first_party_from_the_root(tmp_path: Path) -> None:
    """Why the root matters: Ruff's `src` default is relative to where it runs."""
    root = write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'app'\n",
            "app/__init__.py": "",
            "tests/test_app.py": "import pytest\n\nimport app\n\nprint(pytest, app)\n",
        },
    )
    facts = project_facts(root / "tests/test_app.py")
    assert facts.root == root
    assert ruff(root, "--select", "I", "tests/test_app.py").stdout.strip() == "[]"
    from_tests = json.loads(ruff(root / "tests", "--select", "I", "test_app.py").stdout)
    assert [v["code"] for v in from_tests] == ["I001"]  # run in the file's folder: wrong


def test_nested_projects_in_one_workspace_the_inner_one_wins(tmp_path: Path) -> None:
    workspace = write(
        tmp_path,
        {
            "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
            "libs/inner/pyproject.toml": "[project]\nname = 'inner'\n",
            "libs/inner/inner/m.py": "",
            "docs/conf.py": "",
        },
    )
    inner = workspace / "libs/inner"
    assert project_root(inner / "inner/m.py", workspace) == inner
    assert project_root(workspace / "docs/conf.py", workspace) == workspace
    facts = project_facts(inner / "inner/m.py", workspace)
    assert facts.root == inner
    assert facts.ruff_config == workspace / "pyproject.toml"  # Ruff's config search goes on up


def test_the_root_is_never_above_the_workspace(tmp_path: Path) -> None:
    write(tmp_path, {"setup.cfg": "[metadata]\nname = x\n", "ws/pkg/m.py": ""})
    assert project_root(tmp_path / "ws/pkg/m.py", tmp_path / "ws") == tmp_path / "ws"
    assert project_root(tmp_path / "ws/pkg/m.py") == tmp_path  # no workspace: no limit


def test_a_file_outside_any_project(tmp_path: Path) -> None:
    write(tmp_path, {"loose/script.py": "import os\n"})
    facts = project_facts(tmp_path / "loose/script.py")
    assert facts.root == tmp_path / "loose"
    assert facts.select == RUFF_DEFAULT_SELECT and not facts.configured
    assert facts.formatter is None and facts.target_version is None
    assert facts.declared_by == () and facts.problems == () and facts.ruff_overrides == ()
    assert facts.chooses("F401") and facts.why("F401") == "Ruff's default"
    assert not facts.chooses("SIM300") and not facts.chooses("UP032")
    assert facts.chooses("ISC001") is False  # not selected, though no formatter conflicts
    assert project_root(tmp_path / "elsewhere/m.py", tmp_path / "ws") == tmp_path / "elsewhere"


def test_find_ruff_config_follows_ruffs_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "[tool.ruff]\n",
            "a/pyproject.toml": "[project]\nname = 'a'\n",  # no [tool.ruff]: not a Ruff config
            "a/m.py": "",
            "b/ruff.toml": "",
            "b/.ruff.toml": "",
            "b/m.py": "",
        },
    )
    assert find_ruff_config(tmp_path / "a/m.py") == tmp_path / "pyproject.toml"
    assert find_ruff_config(tmp_path / "b/m.py") == tmp_path / "b/.ruff.toml"


# -- a flake8 + black project (like jazzband/pip-tools) -------------------------------------------

PIP_TOOLS = {
    ".git/HEAD": "ref: refs/heads/main\n",
    ".flake8": """
        [flake8]
        max-line-length = 100
        extend-ignore =
            # black's slices
            E203,
            E731  # lambdas are fine here
        per-file-ignores =
            piptools/__init__.py: F401
        pytest-parametrize-names-type = tuple
        """,
    "pyproject.toml": """
        [project]
        name = "pip-tools"
        requires-python = ">=3.9"

        [tool.isort]
        profile = "black"
        known_first_party = ["piptools"]
        """,
    ".pre-commit-config.yaml": """
        repos:
          - repo: https://github.com/psf/black
            rev: 24.1.0
            hooks:
              - id: black
          - repo: https://github.com/PyCQA/isort
            rev: 5.13.2
            hooks:
              - id: isort
          - repo: https://github.com/asottile/pyupgrade
            rev: v3.15.0
            hooks:
              - id: pyupgrade
                args: [--py38-plus]
          - repo: https://github.com/PyCQA/flake8
            rev: 7.0.0
            hooks:
              - id: flake8
                additional_dependencies:
                  - flake8-pytest-style==1.7.2
        """,
    "piptools/__init__.py": "import os\n",
    "piptools/sync.py": "",
}


@pytest.fixture
def pip_tools(tmp_path: Path) -> ProjectFacts:
    return project_facts(write(tmp_path, PIP_TOOLS) / "piptools/sync.py")


def test_pip_tools_chooses_what_its_tools_do(pip_tools: ProjectFacts) -> None:
    facts = pip_tools
    assert not facts.configured and facts.formatter == "black"
    assert facts.target_version == "py38"  # pyupgrade's flag before requires-python
    for rule, who in [
        ("F401", "Ruff's default"),  # pyflakes, under flake8 too
        ("I001", "isort ([tool.isort])"),
        ("UP032", "pre-commit pyupgrade"),
        ("E711", "Ruff's default"),  # pycodestyle's E7, which flake8 reports as well
        ("W291", "flake8 (.flake8)"),
        ("PT006", "flake8 (.flake8)"),  # the plugin pre-commit installs for flake8
    ]:
        assert facts.chooses(rule), rule
        assert facts.why(rule) == who
        assert facts.why_not(rule) is None
    assert facts.declared_by == (
        "pre-commit black",
        "flake8 (.flake8)",
        "flake8-pytest-style (pre-commit flake8)",
        "isort ([tool.isort])",
        "pre-commit isort",
        "pre-commit pyupgrade",
    )


def test_pip_tools_does_not_choose_rules_nobody_asked_for(pip_tools: ProjectFacts) -> None:
    facts = pip_tools
    assert not facts.chooses("SIM300") and not facts.chooses("RET505")
    assert facts.why_not("SIM300") == "this project does not select SIM300"
    assert not facts.chooses("B006")  # flake8-bugbear is not declared
    assert not facts.chooses("ISC001")
    assert facts.why_not("ISC001") == (
        "this project formats with black, and ISC001 conflicts with the formatter"
    )
    assert not facts.chooses("E731")
    assert facts.why_not("E731") == "this project ignores E731 (flake8 .flake8)"
    assert facts.why_not("E226") == "this project ignores E226 (flake8's default ignore list)"
    assert facts.why("E731") is None


def test_pip_tools_noqa_codes_flake8_reads_are_protected(pip_tools: ProjectFacts) -> None:
    facts = pip_tools
    assert facts.protects_noqa("E501")  # flake8 checks lines at 100; Ruff's default does not
    assert facts.protects_noqa("PT011") and facts.protects_noqa("W503")
    assert facts.protects_noqa("E731")  # ignored by flake8 today: kept all the same
    assert not facts.protects_noqa("SIM300")  # a Ruff code no tool of the project reads
    assert facts.protects_noqa("C812")  # nobody's here, but not Ruff's either
    assert not facts.protects_noqa("C812", known=lambda code: True)


def test_pip_tools_settings_carry_over_to_ruff(pip_tools: ProjectFacts) -> None:
    facts = pip_tools
    assert facts.ruff_overrides == (
        'lint.flake8-pytest-style.parametrize-names-type = "tuple"',
        'lint.per-file-ignores = {"piptools/__init__.py" = ["F401"]}',
        'lint.isort.known-first-party = ["piptools"]',
        # black wraps at its default 88, so I001 must too; E501 keeps flake8's 100
        "lint.pycodestyle.max-line-length = 100",
    )
    root = facts.root
    write(root, {"piptools/long.py": f"x = {'1' * 92!r}\ny = {'1' * 100!r}\n"})
    assert ruff_for(facts, "piptools/__init__.py", "piptools/long.py") == ["E501"]


# -- a project that configures Ruff ---------------------------------------------------------------


def test_a_ruff_configured_project_chooses_what_ruff_reports(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                requires-python = ">=3.10"
                [tool.ruff.lint]
                select = ["ALL"]
                [tool.ruff.format]
                quote-style = "double"
                """,
            ".flake8": "[flake8]\nmax-line-length = 120\n",
            "m.py": "",
        },
    )
    facts = project_facts(root / "m.py")
    assert facts.configured and facts.ruff_config == root / "pyproject.toml"
    assert facts.formatter == "ruff" and facts.target_version == "py310"
    assert facts.select == () and facts.ruff_overrides == ()
    assert facts.chooses("SIM300") and facts.why("SIM300") == "Ruff (pyproject.toml)"
    assert facts.why_not("RET505") is None
    for rule in FORMATTER_CONFLICTS:
        assert not facts.chooses(rule)
    assert facts.why_not("COM812") == (
        "this project formats with ruff format, and COM812 conflicts with the formatter"
    )
    assert facts.protects_noqa("E501")  # flake8 still runs beside Ruff
    assert facts.declared_by[0] == "Ruff (pyproject.toml)"


def test_a_ruff_toml_project_formatting_with_black_gets_no_conflicting_fixes(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path,
        {
            "ruff.toml": "[lint]\nselect = ['ISC']\n",
            ".pre-commit-config.yaml": "repos:\n- repo: local\n  hooks:\n  - id: black\n",
            "m.py": "",
        },
    )
    facts = project_facts(root / "m.py")
    assert facts.configured and facts.formatter == "black"
    assert facts.chooses("ISC003") and not facts.chooses("ISC001")


# -- flake8 ---------------------------------------------------------------------------------------


def test_an_explicit_flake8_select_restricts_flake8s_part_only(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "setup.cfg": """
                [flake8]
                select = E,W,F,C4,B950
                extend-select = R504
                ignore = E501
                """,
            "requirements-dev.txt": "flake8\nflake8-comprehensions\nflake8-return>=1\n"
            "flake8-simplify  # declared, not selected\n",
            "m.py": "",
        },
    )
    facts = project_facts(root / "m.py")
    assert facts.select == ("E4", "E7", "E9", "F", "E", "W", "C4", "RET504")  # B950: not Ruff's
    assert facts.chooses("C416") and facts.chooses("RET504") and not facts.chooses("RET505")
    assert not facts.chooses("SIM300")  # the plugin is installed, but `select` leaves it out
    assert facts.ignore == ("E501",)  # `ignore` replaces flake8's default list
    assert facts.why_not("E501") == "this project ignores E501 (flake8 setup.cfg)"
    assert facts.chooses("E226")  # flake8's default ignore list is gone with `ignore`
    assert facts.protects_noqa("R504") and facts.protects_noqa("B950")
    assert not facts.protects_noqa("SIM300")  # not in flake8's explicit selection


def test_flake8_plugins_translate_to_ruffs_codes(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "tox.ini": """
                [testenv:lint]
                deps =
                    flake8
                    flake8-commas
                    flake8-eradicate
                    flake8-tidy-imports
                [flake8]
                extend-ignore = C812, E800, I252, E704
                max-complexity = 12
                """,
            "m.py": "",
        },
    )
    facts = project_facts(root / "m.py")
    assert {"COM", "ERA", "TID", "C90"} <= set(facts.select)
    assert facts.ignore[-3:] == ("COM812", "ERA", "TID252")  # E704: no such Ruff rule
    assert "lint.mccabe.max-complexity = 12" in facts.ruff_overrides
    assert facts.chooses("COM818") and not facts.chooses("COM812") and facts.chooses("C901")
    assert facts.protects_noqa("C812") and facts.protects_noqa("E800")


def test_mccabe_is_chosen_only_with_a_max_complexity(tmp_path: Path) -> None:
    root = write(tmp_path, {"pyproject.toml": "[tool.flake8]\nextend-ignore = ['E203']\n"})
    facts = project_facts(root / "m.py")
    assert facts.declared_by == ("flake8 ([tool.flake8])",)
    assert not facts.chooses("C901") and facts.protects_noqa("C901")
    assert facts.why_not("E203") == "this project ignores E203 (flake8 [tool.flake8])"


def test_flake8_declared_only_by_requirements_runs_with_its_defaults(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "pyproject.toml": """
                [dependency-groups]
                lint = ["flake8-bugbear>=24", {include-group = "test"}]
                test = ["pytest"]
                """,
            "m.py": "",
        },
    )
    facts = project_facts(root / "m.py")
    assert facts.declared_by == ("flake8 (pyproject.toml)", "flake8-bugbear (pyproject.toml)")
    assert facts.chooses("B006") and facts.chooses("W605") and not facts.chooses("E226")
    assert facts.protects_noqa("B950")


def test_every_declared_plugins_selectors_are_accepted_by_ruff(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "requirements/lint.txt": "\n".join(PLUGINS) + "\n",
            ".flake8": "[flake8]\nextend-ignore = C812,R504,Y001,IC001,T201,N802,Q000\n",
            "m.py": "import os\n",
        },
    )
    facts = project_facts(root / "m.py")
    assert {ruff for p in PLUGINS.values() for ruff in p.ruff} <= set(facts.select)
    assert "F401" in ruff_for(facts, "m.py")  # Ruff ran: every selector was accepted


# -- isort, pre-commit, versions ------------------------------------------------------------------


def test_isort_settings_become_ruffs(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            ".isort.cfg": """
                [settings]
                profile = black
                known_first_party = app, helpers
                known_third_party = requests
                force_single_line = true
                combine_as_imports = True
                lines_after_imports = 2
                src_paths = src,tests
                """,
            "pyproject.toml": "[tool.isort]\nprofile = 'google'\n",  # .isort.cfg comes first
            "m.py": "",
        },
    )
    facts = project_facts(root / "m.py")
    assert facts.declared_by == ("isort (.isort.cfg)",) and facts.chooses("I001")
    assert facts.ruff_overrides == (
        'lint.isort.known-first-party = ["app", "helpers"]',
        'lint.isort.known-third-party = ["requests"]',
        "lint.isort.force-single-line = true",
        "lint.isort.combine-as-imports = true",
        "lint.isort.lines-after-imports = 2",
        'src = ["src", "tests"]',
    )
    ruff_for(facts)


# Pylons/pyramid's [tool.isort] at 5b13e4a6: no standard-library section (it sorts with the
# third-party one), no blank line before third-party imports.
PYRAMID_ISORT = """\
[tool.black]
line-length = 79

[tool.isort]
profile = "black"
multi_line_output = 3
src_paths = ["src", "tests"]
skip_glob = ["docs/*"]
include_trailing_comma = true
force_grid_wrap = false
combine_as_imports = true
line_length = 79
force_sort_within_sections = true
no_lines_before = "THIRDPARTY"
sections = "FUTURE,THIRDPARTY,FIRSTPARTY,LOCALFOLDER"
default_section = "THIRDPARTY"
known_first_party = "pyramid"
"""
PYRAMID_IMPORTS = """\
import binascii
from codecs import utf_8_decode
import time as time_mod
import warnings
from webob.cookies import CookieProfile
from zope.interface import implementer

from pyramid.authorization import Authenticated

print(binascii, utf_8_decode, time_mod, warnings, CookieProfile, implementer, Authenticated)
"""


def test_isort_sections_and_their_spacing_become_ruffs(tmp_path: Path) -> None:
    root = write(
        tmp_path, {"pyproject.toml": PYRAMID_ISORT, "src/pyramid/auth.py": PYRAMID_IMPORTS}
    )
    facts = project_facts(root / "src" / "pyramid" / "auth.py")
    assert facts.chooses("I001") and not facts.unfollowed
    overrides = set(facts.ruff_overrides)
    assert {
        'lint.isort.section-order = ["future", "third-party", "first-party", "local-folder"]',
        'lint.isort.default-section = "third-party"',
        'lint.isort.no-lines-before = ["third-party"]',
    } <= overrides
    # pyramid's own imports, which its isort leaves as they are, are what Ruff's I001 wants too
    assert "I001" not in ruff_for(facts, "src/pyramid/auth.py")


@pytest.mark.parametrize(
    ("isort", "said"),
    [
        ('profile = "google"\n', "profile = google"),
        ('profile = "black"\nforce_alphabetical_sort = true\n', "force_alphabetical_sort = True"),
        ('profile = "black"\nmulti_line_output = 5\n', "multi_line_output = 5"),
        ('known_first_party = ["app"]\n', 'no profile = "black"'),
        ('profile = "black"\nline_length = 100\n', "line_length = 100 (Ruff wraps imports at 88)"),
    ],
)
def test_isort_settings_ruff_cannot_follow_keep_i001_from_the_autopilot(
    tmp_path: Path, isort: str, said: str
) -> None:
    root = write(tmp_path, {"pyproject.toml": f"[tool.isort]\n{isort}", "m.py": ""})
    facts = project_facts(root / "m.py")
    reason = facts.why_not("I001") or ""
    assert not facts.chooses("I001") and said in reason, reason
    assert reason.startswith("this project's isort ([tool.isort]) sorts imports as Ruff cannot")
    assert facts.chooses("F401") and facts.choice("I001") == "other_tool"  # the model's input
    ruff_for(facts)


def test_pre_commit_hooks_choose_their_rules(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            ".pre-commit-config.yaml": """
                repos:
                  - repo: https://github.com/PyCQA/autoflake
                    rev: v2.3.1
                    hooks:
                      - id: autoflake
                        args: [--remove-unused-variables, --remove-duplicate-keys]
                  - repo: https://github.com/hadialqattan/pycln
                    rev: v2.4.0
                    hooks: [{id: pycln}]
                  - repo: https://github.com/asottile/pyupgrade
                    rev: v3.15.0
                    hooks:
                      - id: pyupgrade
                        args: ["--py310-plus", "--keep-percent-format", "--keep-runtime-typing"]
                  - repo: https://github.com/asottile/yesqa
                    rev: v1.5.0
                    hooks: [{id: yesqa}]
                  - repo: https://github.com/PyCQA/pydocstyle
                    rev: 6.3.0
                    hooks: [{id: pydocstyle, args: [--convention=google]}]
                  - repo: https://github.com/astral-sh/ruff-pre-commit
                    rev: v0.4.0
                    hooks: [{id: ruff-format}]
                """,
            "m.py": "",
        },
    )
    facts = project_facts(root / "m.py")
    assert facts.formatter == "ruff" and facts.target_version == "py310"
    assert facts.why("F841") == "pre-commit autoflake" and facts.chooses("F601")
    assert facts.chooses("UP006") and facts.chooses("RUF100") and facts.chooses("D417")
    assert facts.why_not("UP031") == (
        "this project ignores UP031 (pre-commit pyupgrade --keep-percent-format)"
    )
    assert not facts.chooses("D206")  # pydocstyle's, but the formatter's conflict
    assert facts.protects_noqa("D100") and not facts.protects_noqa("E501")
    assert facts.ruff_overrides == (
        "lint.pyupgrade.keep-runtime-typing = true",
        'lint.pydocstyle.convention = "google"',
    )
    ruff_for(facts)


def test_the_pre_commit_file_at_the_git_top_counts_within_the_workspace(tmp_path: Path) -> None:
    hooks = "repos:\n- repo: local\n  hooks:\n  - id: pyupgrade\n    args: [--py39-plus]\n"
    write(
        tmp_path,
        {
            ".git/HEAD": "",
            ".pre-commit-config.yaml": hooks,
            "services/api/pyproject.toml": "[project]\nname = 'api'\n",
            "services/api/api.py": "",
        },
    )
    api = tmp_path / "services/api/api.py"
    assert project_facts(api, tmp_path).target_version == "py39"
    assert project_facts(api, tmp_path / "services").target_version is None
    assert project_facts(api).target_version is None  # nothing above the root unasked


@pytest.mark.parametrize(
    ("spec", "target"),
    [
        (">=3.8", "py38"),
        (">=3.8,<4", "py38"),
        (">= 3.9.1", "py39"),
        ("^3.9", "py39"),
        ("~=3.10", "py310"),
        ("==3.11.*", "py311"),
        (">3.7", "py37"),
        (">=3.6", "py37"),  # older than Ruff can target: its oldest
        (">=2.7, !=3.0.*", "py37"),
        ("<3.12", None),
        ("!=3.9", None),
        (">=3.20", "py315"),
        ("junk", None),
    ],
)
def test_the_oldest_python_a_specifier_admits(spec: str, target: str | None) -> None:
    assert python_floor(spec) == target


def test_the_target_version_from_requires_python_then_black(tmp_path: Path) -> None:
    black = "[tool.black]\ntarget-version = ['py311', 'py39']\nline-length = 120\n"
    only_black = write(tmp_path / "a", {"pyproject.toml": black})
    facts = project_facts(only_black / "m.py")
    assert facts.target_version == "py39" and facts.formatter == "black"
    assert facts.ruff_overrides == ("line-length = 120",)
    both = write(
        tmp_path / "b", {"pyproject.toml": "[project]\nrequires-python='>=3.12'\n" + black}
    )
    assert project_facts(both / "m.py").target_version == "py312"
    setup = write(tmp_path / "c", {"setup.cfg": "[options]\npython_requires = >=3.10\n"})
    assert project_facts(setup / "m.py").target_version == "py310"


def test_black_in_the_development_requirements_is_the_formatter(tmp_path: Path) -> None:
    root = write(tmp_path, {"dev-requirements.txt": "-r requirements.txt\nblack==24.1.0\n"})
    facts = project_facts(root / "m.py")
    assert facts.formatter == "black" and facts.declared_by == ("black (dev-requirements.txt)",)


def test_a_flake8_line_length_without_a_formatter_is_the_line_length(tmp_path: Path) -> None:
    root = write(tmp_path, {"setup.cfg": "[flake8]\nmax_line_length = 99\n"})
    facts = project_facts(root / "m.py")
    assert facts.ruff_overrides == ("line-length = 99",)


def test_every_kind_of_override_is_accepted_by_ruff(tmp_path: Path) -> None:
    """One override at a time, so a refused one names itself."""
    root = write(
        tmp_path,
        {
            ".flake8": """
                [flake8]
                max-line-length = 110
                max-complexity = 8
                max-doc-length = 72
                inline-quotes = '
                multiline-quotes = double
                docstring-quotes = \"
                avoid-escape = false
                docstring-convention = numpy
                pytest-fixture-no-parentheses = true
                pytest-mark-no-parentheses = false
                pytest-parametrize-names-type = csv
                pytest-parametrize-values-type = tuple
                pytest-parametrize-values-row-type = list
                extend-immutable-calls = fastapi.Depends, fastapi.Query
                classmethod-decorators = classmethod, validator
                staticmethod-decorators = staticmethod
                per-file-ignores =
                    tests/*.py: D103, E501
                    __init__.py:F401
                """,
            ".isort.cfg": """
                [settings]
                known_first_party = app
                known_third_party = requests
                known_local_folder = local
                extra_standard_library = tomli
                force_single_line = false
                combine_as_imports = true
                force_sort_within_sections = true
                order_by_type = false
                case_sensitive = true
                lines_after_imports = 1
                lines_between_types = 1
                force_to_top = app.first
                src_paths = src
                """,
            ".pre-commit-config.yaml": """
                repos:
                  - repo: local
                    hooks:
                      - {id: pyupgrade, args: [--keep-runtime-typing]}
                      - {id: black, args: [--line-length=100]}
                """,
            "m.py": "x = 1\n",
        },
    )
    facts = project_facts(root / "m.py")
    assert len(facts.ruff_overrides) == 32
    assert facts.ruff_overrides[7:10] == (
        "lint.flake8-pytest-style.fixture-parentheses = false",
        "lint.flake8-pytest-style.mark-parentheses = true",
        'lint.flake8-pytest-style.parametrize-names-type = "csv"',
    )
    assert facts.ruff_overrides[-3:] == (
        "lint.pyupgrade.keep-runtime-typing = true",
        "line-length = 100",  # black's
        "lint.pycodestyle.max-line-length = 110",  # flake8's, for E501
    )
    assert (
        'lint.per-file-ignores = {"tests/*.py" = ["D103", "E501"], "__init__.py" = ["F401"]}'
        in (facts.ruff_overrides)
    )
    for override in facts.ruff_overrides:
        done = ruff(root, "--config", override, "m.py")
        assert done.returncode == 0 and not done.stderr.strip(), (override, done.stderr)


def test_per_file_ignores_apply_relative_to_the_root(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "setup.cfg": "[flake8]\nper-file-ignores =\n    tests/*: F401\n    __init__.py: F401\n",
            "pkg/__init__.py": "import os\n",
            "tests/sub/test_a.py": "import os\n",
            "pkg/m.py": "import os\n",
        },
    )
    facts = project_facts(root / "pkg/m.py")
    assert ruff_for(facts, "pkg/__init__.py", "tests/sub/test_a.py", "pkg/m.py") == ["F401"]


# -- robustness and the cache ---------------------------------------------------------------------


def test_malformed_files_are_problems_not_exceptions(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "pyproject.toml": "[project\nname = 'x'\n",
            "setup.cfg": "no section header\n",
            ".pre-commit-config.yaml": "repos: [\n",
            ".isort.cfg": "[settings]\nprofile = black\nknown_first_party = app\n",
            "m.py": "",
        },
    )
    facts = project_facts(root / "m.py")
    assert facts.problems == (
        "pyproject.toml: not valid TOML (Expected ']' at the end of a table declaration"
        " (at line 1, column 9)); surefix ignores it",
        ".pre-commit-config.yaml: not valid YAML (while parsing a flow node); surefix ignores it",
        "setup.cfg: not valid INI (File contains no section headers.); surefix ignores it",
    )
    assert facts.chooses("I001")  # what could be read still counts
    (root / ".pre-commit-config.yaml").write_text("- just a list\n")
    assert project_facts(root / "m.py").problems[1] == (
        ".pre-commit-config.yaml: not a YAML mapping; surefix ignores it"
    )


def test_odd_but_valid_files_are_not_problems(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            ".pre-commit-config.yaml": "repos:\n- hooks: 3\n- 7\n- repo: x\n  hooks: [{id: 1}]\n",
            ".flake8": "[flake8]\nmax-line-length = lots\nselect =\n",
            "pyproject.toml": "[project]\nrequires-python = 3\n",
            "m.py": "",
        },
    )
    facts = project_facts(root / "m.py")
    assert facts.problems == () and facts.target_version is None
    assert facts.select == RUFF_DEFAULT_SELECT  # an empty flake8 select selects nothing more


def test_the_cache_reads_again_only_when_a_file_changes(tmp_path: Path) -> None:
    root = write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n", "pkg/m.py": ""})
    cache = FactsCache()
    first = cache.get(root / "pkg/m.py")
    assert cache.get(root / "pkg/m.py") is first
    assert cache.get(root / "pkg/other.py") is first  # one entry per project, not per file

    write(root, {".flake8": "[flake8]\nextend-ignore = E731\n"})  # a new file
    second = cache.get(root / "pkg/m.py")
    assert second is not first and not second.chooses("E731")
    assert cache.get(root / "pkg/m.py") is second

    write(root, {".flake8": "[flake8]\nextend-ignore = E731,E741\n"})  # an edit
    third = cache.get(root / "pkg/m.py")
    assert third is not second and not third.chooses("E741")

    stat = os.stat(root / ".flake8")  # touched, same size: the mtime tells
    os.utime(root / ".flake8", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert cache.get(root / "pkg/m.py") is not third

    write(root, {"requirements-dev.txt": "flake8-simplify\n"})  # found by listing the root
    assert cache.get(root / "pkg/m.py").chooses("SIM300")

    (root / "ruff.toml").write_text("")
    assert cache.get(root / "pkg/m.py").configured
    (root / "ruff.toml").unlink()
    assert not cache.get(root / "pkg/m.py").configured


def test_the_cache_is_not_read_again_for_what_happens_beside_the_configuration(
    tmp_path: Path,
) -> None:
    """Saving a module, creating a scratch file or git rewriting its index changes the
    project folder's mtime; none of it is a change of the configuration."""
    root = write(tmp_path, {"pyproject.toml": "[tool.black]\n", ".git/HEAD": "", "m.py": ""})
    cache = FactsCache()
    first = cache.get(root / "m.py", root)
    write(root, {"new.py": "", "notes.txt": "", ".git/index": "x"})
    (root / "m.py").unlink()
    write(root, {"m.py": "x = 1\n"})
    assert cache.get(root / "m.py", root) is first
    write(root, {"requirements-dev.txt": "flake8\n"})  # a file its reading looks for
    assert cache.get(root / "m.py", root) is not first


def test_a_symlink_loop_is_a_problem_and_a_path_through_one_says_where(tmp_path: Path) -> None:
    root = write(tmp_path, {"m.py": "", ".git/HEAD": ""})
    os.symlink("setup.cfg", root / "setup.cfg")
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")
    os.symlink(".", root / "loop")
    facts = project_facts(root / "loop" / "loop" / "m.py", root)
    assert facts.root == root
    assert facts.problems == (
        "setup.cfg: a symlink loop (its links lead back to themselves); surefix ignores it",
    )
    with pytest.raises(SymlinkLoop) as caught:
        FactsCache().get(root / "a" / "m.py", root)
    assert str(caught.value) == (
        f"{root / 'a' / 'm.py'} goes through a symlink loop ({root / 'a'} → b → a)"
    )
