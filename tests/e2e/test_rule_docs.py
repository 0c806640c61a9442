"""Hover on a `# noqa: CODE` says what the rule is, as the Ruff in use describes it.

The expected words are read here from the real `ruff rule --all --output-format json`, the way
a person reads Ruff's documentation: the rule's name, the first paragraph of "What it does",
and its fix availability sentence.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as t

from .conftest import Session, is_fix

RUFF = str(Path(sys.executable).parent / "ruff")


def ruff_rules() -> dict[str, dict[str, Any]]:
    out = subprocess.run(
        [RUFF, "rule", "--all", "--output-format", "json"], capture_output=True, check=True
    )
    return {r["code"]: r for r in json.loads(out.stdout)}


RULES = ruff_rules()
RUFF_VERSION = subprocess.run([RUFF, "--version"], capture_output=True, text=True).stdout.split()[1]


def first_paragraph(explanation: str) -> str:
    """The paragraph under "## What it does", as the docs page shows it, on one line."""
    after = explanation.split("## What it does\n", 1)[1]
    return " ".join(line.strip() for line in after.strip().split("\n\n", 1)[0].splitlines())


def described(code: str) -> list[str]:
    """The lines a hover on `code` must hold, from Ruff's own JSON."""
    rule = RULES[code]
    url = f"https://docs.astral.sh/ruff/rules/{rule['name']}/"
    return [
        f"**{rule['name']} ({code})** · {rule['linter']} · [Ruff's documentation]({url})",
        first_paragraph(rule["explanation"]),
        rule["fix"],
    ]


def text_of(hover: t.Hover | None) -> str:
    assert hover is not None
    assert isinstance(hover.contents, t.MarkupContent)
    assert hover.contents.kind == t.MarkupKind.Markdown
    return hover.contents.value


def renders_in_neovim(text: str) -> None:
    """No HTML and no table: Neovim shows hover Markdown as highlighted text."""
    assert "<" not in text.replace("<=", "") and not any(
        line.lstrip().startswith("|") for line in text.splitlines()
    ), text


LINE = "import os, sys  # noqa: F401, E401\n"


@pytest.mark.parametrize("preset", ["neovim", "visual_studio_code"])
async def test_hover_on_a_code_describes_that_rule_and_on_noqa_every_code(
    editor: Session, preset: str
) -> None:
    async with editor(preset) as e:
        uri = await e.open("m.py", LINE)
        on_f401 = await e.hover(uri, 0, LINE.index("F401") + 2)
        text = text_of(on_f401)
        for line in described("F401"):
            assert line in text.splitlines(), (line, text)
        assert "E401" not in text
        assert on_f401 is not None and on_f401.range is not None
        assert on_f401.range.start.character == LINE.index("F401")
        assert on_f401.range.end.character == LINE.index("F401") + 4
        on_e401 = text_of(await e.hover(uri, 0, LINE.index("E401")))
        assert described("E401")[0] in on_e401 and "F401" not in on_e401
        both = text_of(await e.hover(uri, 0, LINE.index("noqa") + 1))
        sections = both.split("\n\n---\n\n")
        assert len(sections) == 2
        assert all(line in sections[0] for line in described("F401"))
        assert all(line in sections[1] for line in described("E401"))
        renders_in_neovim(both)
        assert RULES["F401"]["fix"] == "Fix is sometimes available."  # Ruff's words, as said
        assert RULES["E401"]["fix"] in sections[1]


async def test_a_file_level_directive_and_a_rule_ruff_cannot_fix(editor: Session) -> None:
    text = "# ruff: noqa: F841, E741\ndef f():\n    l = 1\n"
    async with editor() as e:
        uri = await e.open("m.py", text)
        f841 = text_of(await e.hover(uri, 0, text.index("F841")))
        assert all(line in f841.splitlines() for line in described("F841"))
        e741 = text_of(await e.hover(uri, 0, text.index("E741") + 3))
        assert RULES["E741"]["fix"] == "Fix is not available."
        assert all(line in e741.splitlines() for line in described("E741"))


async def test_codes_ruff_does_not_have_are_said_to_be_no_ruff_rule(editor: Session) -> None:
    text = "x = 1  # noqa: E704, ABC123\n"
    async with editor() as e:
        uri = await e.open("m.py", text)
        said = text_of(await e.hover(uri, 0, text.index("noqa")))
        assert "E704" not in RULES and "ABC123" not in RULES
        assert said.split("\n\n---\n\n") == [
            f"**E704**: not a Ruff rule (Ruff {RUFF_VERSION} has no rule E704).",
            f"**ABC123**: not a Ruff rule (Ruff {RUFF_VERSION} has no rule ABC123).",
        ]


async def test_a_code_another_tool_of_the_project_reads_is_named_with_that_tool(
    editor: Session,
) -> None:
    text = "def f(): return 1  # noqa: E704\n"
    async with editor() as e:
        (e.root / ".flake8").write_text("[flake8]\nmax-line-length = 100\n")
        uri = await e.open("m.py", text)
        said = text_of(await e.hover(uri, 0, text.index("E704")))
        assert said == "**E704**: not a Ruff rule (flake8 (.flake8) reads it)."


async def test_noqa_in_a_string_is_no_directive(editor: Session) -> None:
    text = 'NOTE = "# noqa: F401"\n'
    async with editor() as e:
        uri = await e.open("m.py", text)
        assert await e.hover(uri, 0, text.index("F401")) is None


async def test_the_diagnostic_and_its_hover_link_to_the_rules_page(editor: Session) -> None:
    async with editor() as e:
        uri = await e.open("m.py", "import os\n")
        (d,) = [d for d in await e.diagnostics(uri) if d.code == "F401"]
        assert d.code_description is not None
        page = f"https://docs.astral.sh/ruff/rules/{RULES['F401']['name']}"
        assert d.code_description.href.rstrip("/") == page
        assert any(is_fix(a) for a in await e.code_actions(uri, 0))
        hover = text_of(await e.hover(uri, 0, 8))
        assert hover.startswith(f"**[F401]({d.code_description.href})** `unused-import`")


async def test_the_rules_are_read_once_per_ruff_program(editor: Session, tmp_path: Path) -> None:
    """A Ruff that logs each run it is asked for: however many hovers, one `rule --all`."""
    log = tmp_path / "runs.log"
    wrapper = tmp_path / "bin" / "ruff"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {RUFF} "$@"\n')
    wrapper.chmod(0o755)
    text = "import os, sys  # noqa: F401, E401\n"
    async with editor(config={"ruffPath": str(wrapper)}) as e:
        uri = await e.open("m.py", text)
        for n, code in enumerate(["F401", "E401", "noqa", "F401"]):
            await e.change(uri, text + "\n" * n)
            assert "Ruff's documentation" in text_of(await e.hover(uri, 0, text.index(code)))
    runs = log.read_text().splitlines()
    assert sum(run.startswith("rule --all") for run in runs) == 1, runs
    assert sum(run.startswith("check") for run in runs) >= 4  # one lint per version


async def test_a_bare_noqa_names_no_rule_so_its_fix_is_explained_there(editor: Session) -> None:
    """On a bare `# noqa` Ruff finds unused (RUF100), the hover is that fix's explanation: the
    directive names no rule to describe, and silence would hide what the lightbulb offers."""
    text = "def f(host):  # noqa\n    return host\n"
    async with editor() as e:
        (e.root / "ruff.toml").write_text('[lint]\nselect = ["RUF100"]\n')
        uri = await e.open("m.py", text)
        assert [d.code for d in await e.diagnostics(uri)] == ["RUF100"]
        found = await e.hover(uri, 0, text.index("#"))
        assert found is not None and isinstance(found.contents, t.MarkupContent)
        assert "RUF100" in found.contents.value
