"""What the user does with an offered fix lands in the local store — features, never code."""

from __future__ import annotations

import asyncio
import json
import math
import re
import sqlite3
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcInvalidParams

from surefix.features.featurize import RuleHistory
from surefix.model.analysis import personal_shift

from .conftest import Editor, Session, band_of, data, is_fix, percent_of, stats_of
from .samples import MESSY, UNUSED_IMPORT


async def run_command_of(e: Editor, uri: str, pick: str) -> object:
    action = next(a for a in await e.code_actions(uri, 0) if pick in a.title)
    assert action.command is not None
    return await e.execute(action.command.command, *(action.command.arguments or ()))


async def test_an_accepted_fix_is_stored_without_source_text(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert any(is_fix(a) for a in await e.code_actions(uri, 0))
        assert await run_command_of(e, uri, "Remove unused import") == {"recorded": True}
    stats = json.loads(data(tmp_path, "stats", "--json"))
    assert stats["outcomes"]["accepted"] == 1 and stats["events"] == 1
    (row,) = json.loads(data(tmp_path, "export"))
    assert row["rule"] == "F401" and row["detected"] == "command" and 0 < row["score"] < 1
    assert row["band"] in {"auto-apply", "review-suggested", "manual-only"}
    assert len(row["project"]) == 16 and str(e.root) not in json.dumps(row)
    assert "import os" not in json.dumps(row) and json.loads(row["features"])["rule"] == "F401"


async def test_choosing_noqa_is_stored_as_suppressed(editor: Session, tmp_path: Path) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert await run_command_of(e, uri, "# noqa: F401") == {"recorded": True}
    assert json.loads(data(tmp_path, "stats", "--json"))["outcomes"]["suppressed"] == 1


async def test_with_collection_off_nothing_is_written(editor: Session, tmp_path: Path) -> None:
    async with editor(config={"collectOutcomes": False}) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        answer = await run_command_of(e, uri, "Remove unused import")
        assert answer == {"recorded": False, "reason": "outcome collection is off"}
    assert not (tmp_path / "data").exists()


async def test_an_unwritable_store_warns_once_and_fixes_keep_working(
    editor: Session, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    async with editor(config={"dataDir": str(blocker / "data")}) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        for _ in range(2):
            answer = await run_command_of(e, uri, "Remove unused import")
            assert answer["recorded"] is False and str(blocker) in answer["reason"]
        assert sum("outcomes are not recorded" in m for m in e.messages()) == 1
        assert any(is_fix(a) for a in await e.code_actions(uri, 0))


async def take(e: Editor, uri: str, pick: str, outcome: str = "accepted") -> dict:
    """Apply the picked action's edit as the editor would, then run its command."""
    action = next(a for a in await e.code_actions(uri) if pick in a.title)
    assert action.edit is not None and action.command is not None
    facts = {**(action.command.arguments or [{}])[0], "outcome": outcome}
    if outcome != "not-useful":
        await e.change(uri, e.apply(uri, action.edit))
    return await e.execute(action.command.command, facts)


async def test_undoing_an_accepted_fix_turns_it_into_undone(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert await take(e, uri, "Remove unused import") == {"recorded": True}
        await e.change(uri, UNUSED_IMPORT)  # the editor's undo: back to the text before the fix
        await e.diagnostics(uri)
    outcomes = await stats_of(tmp_path)
    assert outcomes["undone"] == 1 and outcomes["accepted"] == 0


async def test_a_later_edit_is_not_an_undo(editor: Session, tmp_path: Path) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        await take(e, uri, "Remove unused import")
        await e.change(uri, "\nVALUE = 2\n")
    assert (await stats_of(tmp_path))["accepted"] == 1


@pytest.mark.parametrize(
    "fixed",
    [
        pytest.param("import os\n\nVALUE = (\n", id="syntax-error"),
        pytest.param("\nVALUE = os.sep\n", id="new-violation"),  # the import was used after all
    ],
)
async def test_a_fix_that_leaves_the_file_worse_is_recorded_as_broke(
    editor: Session, tmp_path: Path, fixed: str
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        action = next(a for a in await e.code_actions(uri) if "Remove unused" in a.title)
        assert action.command is not None
        await e.change(uri, fixed)  # as if the fix had produced this
        await e.execute(action.command.command, *(action.command.arguments or ()))
        await e.change(uri, fixed + "\n")
    assert (await stats_of(tmp_path))["broke"] == 1


OPTIONAL = (
    "from typing import Optional\n\n\ndef f(x: Optional[str] = None) -> None:\n    print(x)\n"
)


async def test_a_fix_whose_result_needs_another_fix_is_accepted_not_broke(
    editor: Session, tmp_path: Path
) -> None:
    """`Optional[str]` → `str | None` leaves `Optional` unused (a new F401, which its own fix
    removes): the fix did what it said, so it counts as kept, not as one that broke the file."""
    async with editor() as e:
        (e.root / "ruff.toml").write_text(
            'target-version = "py310"\n[lint]\nselect = ["UP", "F"]\n'
        )
        uri = await e.open("m.py", OPTIONAL)
        fix = next(a for a in await e.code_actions(uri) if is_fix(a) and "UP045" in a.title)
        assert fix.edit is not None and fix.command is not None
        fixed = e.apply(uri, fix.edit)
        await e.change(uri, fixed)
        await e.execute(fix.command.command, *(fix.command.arguments or ()))
        assert any(d.code == "F401" for d in await e.diagnostics(uri))
        await e.change(uri, fixed + "\n")
    stats = await stats_of(tmp_path)
    assert stats.get("broke", 0) == 0 and stats["accepted"] == 1, stats


async def test_not_useful_is_recorded(editor: Session, tmp_path: Path) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        assert await take(e, uri, "Remove unused import", "not-useful") == {"recorded": True}
    assert (await stats_of(tmp_path))["not-useful"] == 1


def logit(percent: float) -> float:
    p = min(max(percent / 100, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


async def test_rejecting_a_rule_lowers_its_scores_demotes_it_and_hover_says_why(
    editor: Session, tmp_path: Path
) -> None:
    async with editor(config={"demotionMinOutcomes": 5}) as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        first = next(a for a in await e.code_actions(uri) if is_fix(a))
        for n in range(6):  # "This fix is wrong", on six versions of the file
            await e.change(uri, UNUSED_IMPORT + "\n" * n)
            wrong = next(a for a in await e.code_actions(uri, 0) if "This fix is wrong" in a.title)
            assert wrong.command is not None
            answer = await e.execute(wrong.command.command, *(wrong.command.arguments or ()))
            assert answer == {"recorded": True}
        await e.change(uri, UNUSED_IMPORT + "\n" * 7)
        after = next(a for a in await e.code_actions(uri) if is_fix(a))
        # Six outcomes against the rule move its log-odds by exactly the record's shift (the
        # badges are rounded percents, so compare within their rounding).
        shift = personal_shift(RuleHistory(0, 6))
        lo = logit(percent_of(after) - 0.5) - logit(percent_of(first) + 0.5)
        hi = logit(percent_of(after) + 0.5) - logit(percent_of(first) - 0.5)
        assert shift < -2 and lo <= shift <= hi, (percent_of(first), percent_of(after), shift)
        assert band_of(after) != "auto-apply" and not after.is_preferred
        hover = await e.hover(uri, 0, 8)
        assert hover is not None
        text = hover.contents.value  # type: ignore[union-attr]
        assert "Your record with F401: kept 0 of 6 fixes (6 not-useful)." in text
        assert re.search(r"(^| · )[Yy]our record: kept 0 of 6 · Ruff: safe", text, re.M)
        assert "\n- your record (kept 0 of 6) -" in text  # its exact push on the log-odds
        assert "- Lowers trust: you kept 0 of your 6 earlier F401 fixes" in text


async def test_a_users_record_survives_a_restart(editor: Session, tmp_path: Path) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        first = next(a for a in await e.code_actions(uri) if is_fix(a))
        for _ in range(3):  # take the fix, then undo it
            assert await take(e, uri, "Remove unused import") == {"recorded": True}
            await e.change(uri, UNUSED_IMPORT)
    assert (await stats_of(tmp_path))["undone"] == 3
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        again = next(a for a in await e.code_actions(uri) if is_fix(a))
        assert percent_of(again) < percent_of(first)


COMPARES_NONE = "def f(x):\n    if x == None:\n        return 1\n    return 2\n"


async def test_a_violation_resolved_another_way_after_its_fix_was_offered(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", COMPARES_NONE)
        assert any("E711" in a.title for a in await e.code_actions(uri, 1))
        await e.change(uri, COMPARES_NONE.replace("x == None", "not x"))
    outcomes = await stats_of(tmp_path)
    assert outcomes["resolved-otherwise"] == 1 and sum(outcomes.values()) == 1
    (row,) = json.loads(data(tmp_path, "export"))
    assert row["rule"] == "E711" and row["detected"] == "edit"


async def test_deleting_the_code_or_never_seeing_the_fix_is_no_label(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        shown = await e.open("shown.py", COMPARES_NONE)
        await e.code_actions(shown, 1)
        await e.change(shown, "VALUE = 1\n")  # the function is gone: not a decision about E711
        unseen = await e.open("unseen.py", COMPARES_NONE)
        await e.change(unseen, COMPARES_NONE.replace("x == None", "not x"))
    assert not (tmp_path / "data").exists() or sum((await stats_of(tmp_path)).values()) == 0


async def test_applying_the_offered_fix_is_accepted_not_resolved_otherwise(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", COMPARES_NONE)
        assert await take(e, uri, "E711") == {"recorded": True}
        await e.diagnostics(uri)
    outcomes = await stats_of(tmp_path)
    assert outcomes["accepted"] == 1 and outcomes["resolved-otherwise"] == 0


async def test_the_this_fix_is_wrong_action_records_not_useful(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        action = next(a for a in await e.code_actions(uri, 0) if "This fix is wrong" in a.title)
        assert action.edit is None and action.command is not None and "F401" in action.title
        await e.execute(action.command.command, *(action.command.arguments or ()))
    assert (await stats_of(tmp_path))["not-useful"] == 1


async def test_a_purge_from_the_terminal_reaches_the_running_server(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        await take(e, uri, "Remove unused import", "not-useful")
        assert "kept 0 of 1" in (await e.hover(uri, 0, 8)).contents.value  # type: ignore[union-attr]
        data(tmp_path, "purge", "--yes")
        await e.change(uri, UNUSED_IMPORT + "\n")
        assert "Your record" not in (await e.hover(uri, 0, 8)).contents.value  # type: ignore[union-attr]


async def test_fixes_applied_by_apply_all_trusted_are_not_resolved_otherwise(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", MESSY)
        assert any(is_fix(a) for a in await e.code_actions(uri))  # every fix offered
        (fix_all,) = await e.code_actions(uri, only=["source.fixAll.surefix"])
        assert fix_all.edit is not None
        await e.change(uri, e.apply(uri, fix_all.edit))
        await e.diagnostics(uri)
    rows = json.loads(data(tmp_path, "export"))
    assert rows and {(r["outcome"], r["detected"]) for r in rows} == {("accepted", "fix-all")}


async def test_the_server_records_only_what_it_offered(editor: Session, tmp_path: Path) -> None:
    """An answer names an offer the server made; its row is the server's own record of it."""
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        fix = next(a for a in await e.code_actions(uri, 0) if is_fix(a))
        assert fix.command is not None
        (answer,) = fix.command.arguments or ()
        assert set(answer) == {"offer", "outcome"}  # nothing else travels through the client
        command = fix.command.command
        forged = {**answer, "rule": "E501", "score": 1.0, "features": {"rule": "E501"}}
        assert await e.execute(command, forged) == {"recorded": True}  # extra keys are ignored
        refused = [
            await e.execute(command, answer),  # answered already
            await e.execute(command, {**answer, "offer": "made-up"}),
            await e.execute(command, {**answer, "outcome": "undone"}),  # only the server sees that
            await e.execute(command, "not an answer"),
        ]
        assert all(r["recorded"] is False and r["reason"] for r in refused), refused
        assert e.messages() == []  # refusals are logged, not shown
    (row,) = json.loads(data(tmp_path, "export"))
    assert row["rule"] == "F401" and row["outcome"] == "accepted" and row["score"] < 1.0
    assert json.loads(row["features"])["rule"] == "F401"


async def test_an_outcome_re_scores_open_documents_without_running_ruff_again(
    editor: Session, tmp_path: Path
) -> None:
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        other = await e.open("other.py", UNUSED_IMPORT)
        before = percent_of(next(a for a in await e.code_actions(other) if is_fix(a)))
        published = dict(e.client.publishes)  # type: ignore[attr-defined]
        assert await take(e, uri, "Remove unused import", "not-useful") == {"recorded": True}

        async def rescored() -> int:
            while (
                now := percent_of(next(a for a in await e.code_actions(other) if is_fix(a)))
            ) == before:
                await asyncio.sleep(0.02)
            return now

        assert await asyncio.wait_for(rescored(), 30) < before
        assert e.client.publishes == published  # type: ignore[attr-defined]  # Ruff did not run


async def test_a_trustfix_store_is_moved_once_and_the_server_says_so(
    editor: Session, tmp_path: Path
) -> None:
    from surefix.model.local.store import Outcome, Store

    old = Store.at(tmp_path / "xdg" / "trustfix")  # where trustfix kept it (XDG_DATA_HOME)
    old.record(Outcome("F401", "accepted", "command", "auto-apply", "safe", {"rule": "F401"}))
    old.close()
    async with editor() as e:
        assert "was moved from" in await e.message("trustfix data")
        assert (await e.execute("surefix.dataStats"))["events"] == 1
    async with editor() as e:
        await e.open("m.py", UNUSED_IMPORT)
        assert not any("trustfix data" in m for m in e.messages())  # once


async def test_strings_a_client_makes_up_are_refused_and_never_reach_the_store(
    editor: Session, tmp_path: Path
) -> None:
    """Offers are made by the server: a rule, a path or a megabyte of text sent as an answer
    is refused in a few words, and the store holds only the server's record of what it offered."""
    async with editor() as e:
        uri = await e.open("m.py", UNUSED_IMPORT)
        fix = next(a for a in await e.code_actions(uri, 0) if is_fix(a))
        assert fix.command is not None
        command, (answer,) = fix.command.command, fix.command.arguments or ()
        giant, path = "E999" * 250_000, str(e.root / "m.py")
        prefix = answer["offer"].rsplit("-", 1)[0]
        made_up: list[object] = [
            {"offer": "E999", "outcome": "accepted"},  # a rule of the client's own
            {"rule": "E999", "outcome": "accepted", "score": 1.0},  # no offer at all
            {"offer": giant, "outcome": "accepted"},
            {"offer": path, "outcome": "not-useful"},
            {"offer": f"{prefix}-999999", "outcome": "accepted"},  # an id it never made
            {"offer": answer["offer"], "outcome": giant},
            {"offer": answer["offer"], "outcome": path},
            {"offer": ["E999"], "outcome": "accepted"},
            giant,
            path,
            [answer],
        ]
        replies = [await e.execute(command, argument) for argument in made_up]
        replies.append(await e.execute(command, answer, path))  # one argument, not two
        for reply in replies:
            assert reply["recorded"] is False and 0 < len(reply["reason"]) < 200, reply
            assert path not in reply["reason"] or "characters" in reply["reason"]
        assert replies[0]["reason"] == (
            "no open offer 'E999': this server did not make it, or it expired"
        )
        assert replies[2]["reason"].endswith(
            "… (1,000,002 characters): this server did not make it, or it expired"
        )
        assert await e.execute("surefix.trustRule", {"rule": "E999"}) == {
            "trusted": False,
            "reason": "E999 is not held back from automatic fixes, so there is nothing to undo",
        }
        with pytest.raises(JsonRpcInvalidParams, match="characters"):  # not a rule: named, cut
            await e.execute("surefix.trustRule", {"rule": path})
        assert e.messages() == []  # refusals are logged, not shown
        assert max(len(m.message) for m in e.client.log_messages) < 1_000
        assert await e.execute(command, answer) == {"recorded": True}  # the real answer counts
    store = sqlite3.connect(tmp_path / "data" / "outcomes.sqlite3")
    rows = store.execute("SELECT rule, outcome, detected, features FROM outcomes").fetchall()
    assert [row[:3] for row in rows] == [("F401", "accepted", "command")]
    assert json.loads(rows[0][3])["rule"] == "F401"
    assert store.execute("SELECT count(*) FROM rule_marks").fetchone() == (0,)
    everything = "\n".join(store.iterdump())
    store.close()
    assert "E999" not in everything and path not in everything and str(e.root) not in everything
