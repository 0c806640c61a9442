"""The hostile-input probe: the real server against what no well-behaved editor sends.

`make probe` (or `python benchmarks/probe.py --scale N`) drives `surefix serve` over stdio with
raw JSON-RPC frames, seeded, and prints one row per kind of input:

* malformed requests: every request the server serves, with one value in its params replaced
  by a wrong type, an out-of-range number, a giant string, or removed;
* random edits: valid incremental changes over hostile texts (BOM, CR, CRLF, form feed,
  U+2028, astral characters, NUL), UTF-16 and UTF-8 clients; after each burst the server's
  diagnostics must be Ruff's on the client's text and every fix it offers, applied as an editor
  applies it, Ruff's own fix;
* URIs as editors spell them: percent-encoded, non-ASCII, `untitled:`;
* broken frames: not JSON, not an object, no `Content-Length`, a frame over the limit;
* kill -9: outcomes the server acknowledged, then the process killed, then the store read.

Columns: `unanswered` is a request with no answer within a second; `out of step` a diagnostic
that is not Ruff's on the client's text; `wrong edits` a fix whose result is not Ruff's fix;
`crashes` a process that died; `lost` an acknowledged outcome missing from the store. It is a
probe, not a test: it counts instead of stopping at the first failure, and it times answers,
which the test suite never does.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile import (  # noqa: E402
    CONFIG,
    piece,
    random_change,
    ruff_fixed,
    ruff_json,
    ruff_position,
    rule_of,
    vscode_uri,
)
from lsp_reference import BREAK, apply_text_edits, reference_apply  # noqa: E402
from lsprotocol import types as t  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402
from wire import Wire  # noqa: E402

CONVERTER = default_converter()  # a change as a client sends it
ANSWER_S = 1.0  # a request not answered within this counts as unanswered (but `initialize`)
LATE_S = 30.0  # then waited for this long more, so the next step starts in step
OPTIONS = {"debounceMs": 0}
ANSWERS = {"workspace/applyEdit": {"applied": True}, "workspace/configuration": [None]}
BANNED = "import os\nimport json\n\n\ndef f(x):\n    unused = 1\n    return x == None\n"


@dataclass
class Row:
    name: str
    cases: int = 0
    unanswered: int = 0
    out_of_step: int = 0
    wrong: int = 0
    crashes: int = 0
    lost: int = 0
    late: list[str] = field(default_factory=list)  # what was unanswered or out of step

    def cells(self) -> list[str]:
        values = (self.cases, self.unanswered, self.out_of_step, self.wrong, self.crashes)
        return [self.name, *(f"{v:,}" for v in values), f"{self.lost:,}"]


class Client:
    """A `Wire` that times each answer against `ANSWER_S` and counts into a `Row`."""

    def __init__(self, data: Path, row: Row, encodings: list[str] | None = None) -> None:
        self.wire, self.row = Wire(data, answers=ANSWERS), row
        self.encoding = t.PositionEncodingKind.Utf16
        self.versions: dict[str, int] = {}
        self.encodings = encodings

    def initialize(self, root: Path) -> None:
        caps: dict[str, Any] = {"textDocument": {"codeAction": {}}}
        if self.encodings:
            caps["general"] = {"positionEncodings": self.encodings}
        params = {"processId": None, "rootUri": root.as_uri(), "capabilities": caps}
        answer = self.request("initialize", {**params, "initializationOptions": OPTIONS})
        assert answer is not None and "result" in answer, answer
        chosen = answer["result"]["capabilities"].get("positionEncoding")
        self.encoding = t.PositionEncodingKind(chosen or "utf-16")
        self.wire.notify("initialized", {})

    def request(self, method: str, params: Any) -> dict[str, Any] | None:
        """The answer; None (counted) when the process died or nothing came in time."""
        wire = self.wire
        msg_id = wire.ask(method, params)
        began = time.monotonic()
        try:
            return wire.answer(msg_id, ANSWER_S)
        except queue.Empty:
            self.row.unanswered += method != "initialize"  # that one includes the start-up
        try:
            return wire.answer(msg_id, LATE_S)
        except queue.Empty:
            return None
        finally:
            shown = json.dumps(params)
            shown = shown if len(shown) < 120 else f"{shown[:100]}… ({len(shown):,} characters)"
            self.row.late.append(f"{method} after {time.monotonic() - began:.1f} s: {shown}")

    def open(self, uri: str, text: str) -> None:
        self.versions[uri] = 0
        item = {"uri": uri, "languageId": "python", "version": 0, "text": text}
        self.wire.notify("textDocument/didOpen", {"textDocument": item})

    def change(self, uri: str, changes: list[dict[str, Any]]) -> None:
        self.versions[uri] += 1
        document = {"uri": uri, "version": self.versions[uri]}
        self.wire.notify(
            "textDocument/didChange", {"textDocument": document, "contentChanges": changes}
        )

    def diagnostics(self, uri: str) -> list[dict[str, Any]] | None:
        """The diagnostics published for the current version (None: none came)."""
        version, current_method = self.versions[uri], "textDocument/publishDiagnostics"

        def current(m: dict[str, Any]) -> bool:
            if m.get("method") != "textDocument/publishDiagnostics":
                return False
            params = m["params"]
            return bool(params["uri"] == uri and params.get("version") == version)

        try:
            found: list[dict[str, Any]] = self.wire.first(current, LATE_S)["params"]["diagnostics"]
        except queue.Empty:
            self.row.unanswered += 1
            return None
        self.wire.seen = [m for m in self.wire.seen if m.get("method") != current_method]
        return found

    def alive(self) -> bool:
        return self.wire.process.poll() is None

    def close(self) -> None:
        code = self.wire.close()
        if code != 0:
            self.row.crashes += 1


def files(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "ruff.toml").write_text(CONFIG)
    return root


# -- malformed requests ---------------------------------------------------------------------

WRONG: list[Any] = [None, -1, 2**31, 2**63, 1.5, "x", "é" * 100_000, True, [], {}, [[]]]


def requests(uri: str) -> list[tuple[str, dict[str, Any]]]:
    doc = {"uri": uri}
    where = {"line": 0, "character": 7}
    span = {"start": {"line": 0, "character": 0}, "end": {"line": 6, "character": 0}}

    def command(name: str, *arguments: Any) -> tuple[str, dict[str, Any]]:
        return "workspace/executeCommand", {
            "command": f"surefix.{name}",
            "arguments": list(arguments),
        }

    return [
        ("textDocument/hover", {"textDocument": doc, "position": where}),
        ("textDocument/codeAction", {"textDocument": doc, "range": span, "context": {}}),
        ("textDocument/diagnostic", {"textDocument": doc}),
        ("textDocument/completion", {"textDocument": doc, "position": where}),
        command("applyTrustedFixes", {"uri": uri, "version": 0}),
        command("recordOutcome", {"offer": "x-1", "outcome": "accepted"}),
        command("trustRule", {"rule": "F401"}),
        command("dataStats"),
        command("showReport"),
        command("noSuchCommand"),
    ]


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, (*path, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from leaves(inner, (*path, i))


def mutated(params: dict[str, Any], rng: random.Random) -> Any:
    """`params` with one value somewhere replaced by a wrong one, or removed."""
    copy = json.loads(json.dumps(params))
    path = rng.choice(list(leaves(copy)))
    if not path:
        return rng.choice(WRONG)
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and rng.random() < 0.2:
        del parent[path[-1]]
    else:
        parent[path[-1]] = rng.choice(WRONG)
    return copy


def malformed(work: Path, cases: int) -> Row:
    row, rng = Row("malformed requests"), random.Random("probe-malformed")
    root = files(work / "malformed")
    path = root / "m.py"
    path.write_text(BANNED)
    client = Client(work / "malformed-data", row)
    client.initialize(root)
    uri = path.as_uri()
    client.open(uri, BANNED)
    client.diagnostics(uri)
    templates = requests(uri)
    for _ in range(cases):
        method, params = rng.choice(templates)
        answer = client.request(method, mutated(params, rng))
        row.cases += 1
        if answer is None and not client.alive():
            row.crashes += 1
            break
    hover = client.request("textDocument/hover", templates[0][1])  # still serving
    if hover is None or "result" not in hover:
        row.crashes += 1
    client.close()
    return row


# -- random edits ---------------------------------------------------------------------------


def in_step(client: Client, uri: str, path: Path, text: str, row: Row) -> bool:
    """Check one state: diagnostics and every fix against Ruff; whether the text still parses."""
    found = client.diagnostics(uri)
    expected = ruff_json(path.parent, path, text)
    encoding = client.encoding

    def at(item: dict[str, Any], key: str) -> tuple[int, int]:
        p = ruff_position(text, item[key], encoding)
        return p.line, p.character

    def span(d: dict[str, Any]) -> tuple[tuple[int, int], tuple[int, int]]:
        r = d["range"]
        return (r["start"]["line"], r["start"]["character"]), (
            r["end"]["line"],
            r["end"]["character"],
        )

    ruff = sorted(
        [(rule_of(i), at(i, "location"), at(i, "end_location")) for i in expected], key=repr
    )
    ours = sorted([(d.get("code"), *span(d)) for d in found or []], key=repr)
    row.cases += 1
    if found is not None and ruff != ours:
        row.out_of_step += 1
    span = {
        "start": {"line": 0, "character": 0},
        "end": {"line": len(BREAK.split(text)), "character": 0},
    }
    answer = client.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": uri}, "range": span, "context": {"diagnostics": found or []}},
    )
    actions = (answer or {}).get("result") or []
    by_place = {(rule_of(i), at(i, "location")): i for i in expected if i.get("fix")}
    for action in actions:
        edit = action.get("edit")
        if not edit or not is_fix(action):
            continue
        start = action["diagnostics"][0]["range"]["start"]
        item = by_place.get(
            (action["diagnostics"][0].get("code"), (start["line"], start["character"]))
        )
        row.cases += 1
        edits = [
            t.TextEdit(
                range=t.Range(
                    start=t.Position(**e["range"]["start"]), end=t.Position(**e["range"]["end"])
                ),
                new_text=e["newText"],
            )
            for e in changes_of(edit, uri, client.versions[uri])
        ]
        if item is None or apply_text_edits(text, edits, encoding) != ruff_fixed(
            text, item, encoding
        ):
            row.wrong += 1
    return any(rule_of(i) is None for i in expected)


def is_fix(action: dict[str, Any]) -> bool:
    """A trust-scored quick fix (its command records an acceptance), not a noqa or fix-all."""
    command = action.get("command") or {}
    arguments = command.get("arguments") or [{}]
    accepts = isinstance(arguments[0], dict) and arguments[0].get("outcome") == "accepted"
    return command.get("command") == "surefix.recordOutcome" and accepts


def changes_of(edit: dict[str, Any], uri: str, version: int) -> list[dict[str, Any]]:
    """The text edits of a workspace edit for `uri`; none if they are for another version."""
    if "documentChanges" in edit:
        return [
            e for change in edit["documentChanges"]
            if change["textDocument"]["uri"] == uri and change["textDocument"]["version"] == version
            for e in change["edits"]
        ]  # fmt: skip
    return list(edit.get("changes", {}).get(uri, []))


def edits(work: Path, steps: int, encoding: str) -> Row:
    row, rng = Row(f"random edits ({encoding})"), random.Random(f"probe-edits-{encoding}")
    root = files(work / f"edits-{encoding}" / "dir with space")
    path = root / "é+#.py"
    start = "\ufeffimport os\r\nimport json\x0c\n" + "".join(piece(rng) for _ in range(8))
    path.write_text(start, encoding="utf-8")
    client = Client(work / f"edits-{encoding}-data", row, [encoding])
    client.initialize(root)
    uri, text = vscode_uri(path), start
    client.open(uri, text)
    for _ in range(steps):
        for _ in range(rng.randint(1, 4)):
            batch = []
            for _ in range(rng.randint(1, 2)):
                change = random_change(rng, text, client.encoding)
                text = reference_apply(text, change, client.encoding)
                batch.append(CONVERTER.unstructure(change))
            client.change(uri, batch)
        broken = in_step(client, uri, path, text, row)
        if not client.alive():
            row.crashes += 1
            return row
        if broken or len(text) > 3000:
            text = "\ufeffimport os\r\n" + "".join(piece(rng) for _ in range(8))
            client.change(uri, [{"text": text}])
    client.close()
    return row


# -- URIs -----------------------------------------------------------------------------------

NAMES = ["with space", "élève", "100%", "c#", "a+b", "ü 😀", "plain"]


def uris(work: Path) -> Row:
    row = Row("URIs as editors write them")
    client = Client(work / "uris-data", row)
    client.initialize(work)
    spellings: list[tuple[str, str]] = []
    for name in NAMES:
        path = files(work / "uris" / name) / "m.py"
        path.write_text(BANNED)
        spellings += [vscode_uri(path), "file://" + path.as_posix()]
    spellings.append("untitled:Untitled-1")
    for uri in dict.fromkeys(spellings):  # "plain" is spelled the same both ways
        client.open(uri, BANNED)
        found = client.diagnostics(uri)
        row.cases += 1
        if not found:
            row.out_of_step += 1
            row.late.append(f"no diagnostics for {uri}")
            continue
        span = {"start": {"line": 0, "character": 0}, "end": {"line": 7, "character": 0}}
        params = {"textDocument": {"uri": uri}, "range": span, "context": {"diagnostics": found}}
        answer = client.request("textDocument/codeAction", params)
        fixes = [a for a in (answer or {}).get("result") or [] if is_fix(a)]
        if not fixes:
            row.wrong += 1
    client.close()
    return row


# -- broken frames --------------------------------------------------------------------------


def frames(work: Path) -> Row:
    row = Row("broken frames")
    client = Client(work / "frames-data", row)
    client.initialize(work)
    wire = client.wire
    broken: list[Callable[[], None]] = [
        lambda: wire.send("{not json"),
        lambda: wire.send([1, 2]),
        lambda: wire.send("[]"),
        lambda: wire.send({"jsonrpc": "2.0", "id": 77, "method": 5}),
        lambda: wire.send({"jsonrpc": "1.0", "id": 78, "method": "textDocument/hover"}),
        lambda: wire.send_raw(b"Content-Type: text/plain\r\n\r\n"),
        lambda: wire.send_raw(b"Content-Length: -5\r\n\r\n"),
        lambda: wire.send_raw(b"Content-Length: 3\r\n\r\n\xff\xfe\x00"),
    ]
    for send in broken:
        send()
        row.cases += 1
        stats = client.request("workspace/executeCommand", {"command": "surefix.dataStats"})
        if stats is None or "result" not in stats:
            row.crashes += not client.alive()
    size = 257 * 1024 * 1024  # over the limit: refused by its header, read past in chunks
    wire.send_raw(b"Content-Length: %d\r\n\r\n" % size)
    chunk = b" " * (1 << 20)
    for _ in range(size // len(chunk)):
        wire.send_raw(chunk)
    wire.send_raw(b" " * (size % len(chunk)))
    row.cases += 1
    stats = client.request("workspace/executeCommand", {"command": "surefix.dataStats"})
    if stats is None or "result" not in stats:
        row.crashes += not client.alive()
    wire.send_raw(b"Content-Length: 1000000000000\r\n\r\n")  # the one that took MemoryError
    row.cases += 1
    client.close()
    return row


# -- kill -9 --------------------------------------------------------------------------------


def kills(work: Path, cycles: int) -> Row:
    row = Row("kill -9 after acknowledged outcomes")
    root, data = files(work / "kills"), work / "kills-data"
    acknowledged = 0
    for cycle in range(cycles):
        path = root / f"m{cycle}.py"
        path.write_text(BANNED)
        client = Client(data, row)
        client.initialize(root)
        uri = path.as_uri()
        client.open(uri, BANNED)
        found = client.diagnostics(uri) or []
        span = {"start": {"line": 0, "character": 0}, "end": {"line": 7, "character": 0}}
        params = {"textDocument": {"uri": uri}, "range": span, "context": {"diagnostics": found}}
        answer = client.request("textDocument/codeAction", params) or {}
        for action in [a for a in answer.get("result") or [] if is_fix(a)][:3]:
            command = action["command"]
            reply = client.request("workspace/executeCommand", command)
            row.cases += 1
            if reply and (reply.get("result") or {}).get("recorded") is True:
                acknowledged += 1
        client.wire.process.kill()
        client.wire.process.wait()
    store = next(data.rglob("outcomes.sqlite3"))
    with sqlite3.connect(store) as db:
        (stored,) = db.execute("SELECT count(*) FROM outcomes").fetchone()
    row.lost = max(0, acknowledged - stored)
    return row


# -- the table ------------------------------------------------------------------------------

HEADER = ["input", "cases", "unanswered", "out of step", "wrong edits", "crashes", "lost outcomes"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="multiply every section's size")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    began = time.monotonic()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="surefix-probe-") as tmp:
        work = Path(tmp)
        sections: list[Callable[[], Row]] = [
            lambda: malformed(work, 500 * args.scale),
            lambda: edits(work, 250 * args.scale, "utf-16"),
            lambda: edits(work, 250 * args.scale, "utf-8"),
            lambda: uris(work),
            lambda: frames(work),
            lambda: kills(work, 20 * args.scale),
        ]
        for section in sections:
            rows.append(section())
            print(f"  {rows[-1].name}: done", file=sys.stderr, flush=True)
    total = Row("total")
    for row in rows:
        for key in ("cases", "unanswered", "out_of_step", "wrong", "crashes", "lost"):
            setattr(total, key, getattr(total, key) + getattr(row, key))
    table = [HEADER, ["---"] * len(HEADER), *(r.cells() for r in [*rows, total])]
    print("\n".join("| " + " | ".join(cells) + " |" for cells in table))
    for row in rows:
        for what in row.late:
            print(f"* {row.name}: {what}")
    print(f"\n{time.monotonic() - began:.0f} s, `python benchmarks/probe.py --scale {args.scale}`")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=1) + "\n")
    bad = total.unanswered + total.out_of_step + total.wrong + total.crashes + total.lost
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
