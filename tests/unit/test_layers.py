"""The layers the package is built in, and what each may import.

    features/  pure: Ruff's findings, the document, the feature rows -- no model, no editor
    model/     scoring (numpy only), training (scikit-learn), mining, the local store -- no editor
    server/    the language server and the command line on top of both

Each rule is checked statically, with `ast` over every module of the package (package_source.py):
an import inside a function counts, since it runs when the function does. Where it matters at
run time -- which libraries a process really loads -- a subprocess runs the real thing under
`python -X importtime`, which names every module the process imports.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from package_source import (
    Import,
    Module,
    imports_in,
    module_names,
    modules,
    packages,
    pyproject,
    python_files,
)

TRAINING_LIBRARIES = ("sklearn", "scipy", "matplotlib", "threadpoolctl")
LSP_LIBRARIES = ("pygls", "lsprotocol")
TIMEOUT = 180

MESSY = (
    'import os\nfrom typing import List\n\n\ndef f(x: List[int]) -> None:\n    print("%s" % x)\n'
)


def offending(
    where: Callable[[Module], bool],
    banned: Iterable[str],
    counts: Callable[[Import], bool] = lambda i: True,
) -> list[str]:
    """`path:line imports name` for each import of `banned` by a module `where` selects."""
    banned = tuple(banned)
    return [
        f"{m.where}:{i.line} imports {i.module}{' (' + ', '.join(i.names) + ')' if i.names else ''}"
        for m in modules()
        if where(m)
        for i in m.imports
        if counts(i) and i.is_of(*banned)
    ]


# -- the scan itself ------------------------------------------------------------------------------


def test_the_scan_covers_every_module_of_every_shipped_package() -> None:
    assert set(packages()) == set(pyproject()["tool"]["setuptools"]["packages"])
    assert all((folder / "__init__.py").is_file() for folder in packages().values())
    code = {p for p in python_files() if "sample_project" not in p.parts}  # that one is data
    assert {m.path for m in modules()} == code  # no module outside a shipped package


def test_the_scan_reads_imports_in_functions_and_under_type_checking() -> None:
    source = (
        "import a\nfrom . import b\nfrom .c import d, e\nif TYPE_CHECKING:\n    import f\n"
        "else:\n    import g\nclass K:\n    import h\n@deco(__import__('i'))\n"
        "def run():\n    import j\n    importlib.import_module('k')\n"
    )
    found = imports_in(ast.parse(source), "surefix.x.y", is_package=False)
    assert [(i.module, i.names, i.in_function, i.type_checking) for i in found] == [
        ("a", (), False, False),
        ("surefix.x", ("b",), False, False),
        ("surefix.x.c", ("d", "e"), False, False),
        ("f", (), False, True),
        ("g", (), False, False),
        ("h", (), False, False),
        ("i", (), False, False),
        ("j", (), True, False),
        ("k", (), True, False),
    ]
    assert found[1].targets({"surefix.x.b"}) == {"surefix.x.b"}
    assert found[2].targets({"surefix.x.c"}) == {"surefix.x.c"}


# -- static rules ---------------------------------------------------------------------------------


def test_training_libraries_are_imported_only_under_model_training() -> None:
    assert offending(lambda m: not m.under("surefix.model.training"), TRAINING_LIBRARIES) == []


def test_features_import_nothing_from_model_or_server() -> None:
    assert (
        offending(lambda m: m.under("surefix.features"), ("surefix.model", "surefix.server")) == []
    )


def test_model_imports_nothing_from_server() -> None:
    assert offending(lambda m: m.under("surefix.model"), ("surefix.server",)) == []


def test_scoring_imports_no_lsp_or_training_library() -> None:
    banned = LSP_LIBRARIES + TRAINING_LIBRARIES + ("surefix.server", "surefix.model.training")
    assert offending(lambda m: m.under("surefix.model.scoring"), banned) == []


def test_wording_imports_no_lsp_library() -> None:
    banned = (*LSP_LIBRARIES, "surefix.server.lsp")
    words = ("surefix.server.wording", "surefix.server.reasons")
    assert offending(lambda m: m.name in words, banned) == []


def test_the_check_command_imports_no_lsp_library() -> None:
    banned = (*LSP_LIBRARIES, "surefix.server.lsp")
    assert offending(lambda m: m.name == "surefix.server.cli.check", banned) == []


def test_nothing_the_server_can_reach_imports_a_training_library() -> None:
    """Every module the server process may import -- at start-up or in any handler -- keeps to
    numpy: a retrain runs `surefix retrain` in a child process."""
    reached = reachable("surefix.server.lsp.wiring", lambda i: not i.type_checking)
    assert "surefix.server.lsp.commands" in reached  # the handlers' own imports are followed
    assert (
        offending(lambda m: m.name in reached, TRAINING_LIBRARIES, lambda i: not i.type_checking)
        == []
    )


# -- import cycles --------------------------------------------------------------------------------


def graph(counts: Callable[[Import], bool]) -> dict[str, set[str]]:
    """Module -> the package modules it imports (imports `counts` selects)."""
    known = module_names()
    return {
        m.name: {t for i in m.imports if counts(i) for t in i.targets(known) if t in known}
        for m in modules()
    }


def reachable(start: str, counts: Callable[[Import], bool]) -> set[str]:
    edges, seen, todo = graph(counts), {start}, [start]
    while todo:
        for target in edges[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan), as a path that
    ends where it starts."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1 or node in edges[node]:
                groups.append(group)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return [cycle_in(min(group), edges, group) for group in groups]


def cycle_in(start: str, edges: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest path from `start` back to itself inside `group` (breadth first)."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(edges[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def named(found: list[list[str]]) -> list[str]:
    return [" -> ".join(c) for c in found]


def test_the_cycle_finder_names_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert sorted(named(cycles(edges))) == ["a -> b -> c -> a", "e -> e"]


def test_no_import_cycles_among_module_level_imports() -> None:
    """What importing a module runs (imports in functions and under TYPE_CHECKING left out)."""
    assert named(cycles(graph(lambda i: i.at_import_time))) == []


def test_no_import_cycle_is_hidden_behind_an_import_in_a_function() -> None:
    """An import moved into a function to dodge a cycle is still a cycle between the modules."""
    assert named(cycles(graph(lambda i: not i.type_checking))) == []


# -- what processes load (run time) ---------------------------------------------------------------


def imported(stderr: str) -> dict[str, str | None]:
    """Each module `-X importtime` reports in a process's stderr -> the module whose import
    loaded it (None: the program itself). The report nests an import under the one that caused
    it and prints it first, so its importer is the next line indented less."""
    rows = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1]
            if name.strip() != "imported package":
                rows.append(((len(name) - len(name.lstrip()) - 1) // 2, name.strip()))
    return {
        name: next((n for d, n in rows[i + 1 :] if d < depth), None)
        for i, (depth, name) in enumerate(rows)
    }


def loaded(seen: dict[str, str | None], banned: Iterable[str]) -> list[str]:
    """Where a process first reached into the `banned` libraries: `module (imported by …)`."""
    banned = tuple(banned)

    def bad(name: str | None) -> bool:
        return name is not None and name.split(".")[0] in banned

    return sorted(
        f"{n} (imported by {by or 'running code, not by an import'})"
        for n, by in seen.items()
        if bad(n) and not bad(by)
    )


def run_python(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
    )


def test_the_probe_sees_what_a_process_imports() -> None:
    done = run_python("-c", "import lsprotocol.types, sklearn.linear_model")
    assert done.returncode == 0, done.stderr
    seen = imported(done.stderr)
    assert {"lsprotocol.types", "sklearn.linear_model"} <= set(seen)
    assert "lsprotocol.types (imported by running code, not by an import)" in loaded(
        seen, LSP_LIBRARIES
    )
    assert seen["sklearn.linear_model"] is None and seen["sklearn.base"] is not None


SCORING = """
from pathlib import Path
import surefix.model.scoring.artifact, surefix.model.scoring.baselines
import surefix.model.scoring.design, surefix.model.scoring.scorer
from surefix.model.analysis import analyze
from surefix.model.scoring.scorer import load_model
model = load_model()
(candidate,) = analyze("import os\\n", Path("m.py"), model).candidates
assert candidate.score is not None and model.explain(candidate.row).top
"""


def test_loading_and_scoring_with_the_model_loads_no_lsp_or_training_library() -> None:
    done = run_python("-c", SCORING)
    assert done.returncode == 0, done.stderr
    assert loaded(imported(done.stderr), LSP_LIBRARIES + TRAINING_LIBRARIES) == []


WORDING = """
from pathlib import Path
from surefix.model.analysis import analyze
from surefix.model.scoring.scorer import load_model
from surefix.server.wording import fix_title, hover_markdown
model = load_model()
(candidate,) = analyze("import os\\n", Path("m.py"), model).candidates
assert "Remove unused import" in fix_title(candidate, "unicode")
assert "F401" in hover_markdown(candidate, model, None)
"""


def test_wording_a_score_loads_no_lsp_library() -> None:
    done = run_python("-c", WORDING)
    assert done.returncode == 0, done.stderr
    assert loaded(imported(done.stderr), LSP_LIBRARIES) == []


def surefix(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line as a user runs it (`python -m surefix.server.cli` is `surefix`)."""
    return run_python("-m", "surefix.server.cli", *args, env=env)


@pytest.mark.parametrize(
    "command", [["check", "--explain"], ["check", "--format", "json"], ["fix", "--diff"]]
)
def test_surefix_check_loads_no_lsp_library(tmp_path: Path, command: list[str]) -> None:
    source = tmp_path / "m.py"
    source.write_text(MESSY)
    done = surefix(*command, str(source))
    assert done.returncode in (0, 1), done.stderr
    assert "import" in done.stdout  # it did score (or fix) the unused import
    assert loaded(imported(done.stderr), LSP_LIBRARIES) == []


def test_surefix_report_loads_no_lsp_library(tmp_path: Path) -> None:
    done = surefix("report", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "report.html")
    assert loaded(imported(done.stderr), LSP_LIBRARIES) == []


class JsonRpc:
    """Just enough of an LSP client over a server's stdin/stdout: requests wait for their
    answer; requests from the server get an empty one; notifications are kept."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.sent = 0
        self.notifications: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.sent += 1
        self.send({"id": self.sent, "method": method, "params": params})
        while True:
            message = self.receive()
            if "method" not in message and message.get("id") == self.sent:
                assert "error" not in message, message["error"]
                return message.get("result")
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.append(message)

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = None
        while True:
            line = self.process.stdout.readline()
            assert line, "the server closed its output"
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        assert length is not None
        return dict(json.loads(self.process.stdout.read(length)))


def test_the_server_process_loads_no_training_library(tmp_path: Path) -> None:
    """A real `surefix serve` through a session that touches every kind of handler: lint, quick
    fixes, apply-all-trusted, hover, recording an outcome, the report and a retrain (which runs
    in a child process: its imports are not the server's)."""
    root = tmp_path / "project"
    root.mkdir()
    source = root / "m.py"
    source.write_text(MESSY)
    uri = source.as_uri()
    log = tmp_path / "stderr.txt"
    env = {**os.environ, "SUREFIX_DATA_DIR": str(tmp_path / "data")}
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "surefix.server.cli", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
    watchdog = threading.Timer(TIMEOUT, process.kill)
    watchdog.start()
    try:
        lsp = JsonRpc(process)
        capabilities: dict[str, Any] = {"textDocument": {"codeAction": {}, "hover": {}}}
        lsp.request(
            "initialize",
            {"processId": None, "rootUri": root.as_uri(), "capabilities": capabilities},
        )
        lsp.notify("initialized", {})
        document = {"uri": uri, "languageId": "python", "version": 1, "text": MESSY}
        lsp.notify("textDocument/didOpen", {"textDocument": document})
        whole = {"start": {"line": 0, "character": 0}, "end": {"line": 6, "character": 0}}
        target = {"textDocument": {"uri": uri}, "range": whole}
        menu = lsp.request("textDocument/codeAction", {**target, "context": {"diagnostics": []}})
        fixes = [a for a in menu if a["title"].endswith("Remove unused import: `os`")]
        assert len(fixes) == 1, [a["title"] for a in menu]
        only = {"diagnostics": [], "only": ["source.fixAll.surefix"]}
        (fix_all,) = lsp.request("textDocument/codeAction", {**target, "context": only})
        assert fix_all["edit"], fix_all
        at = {"line": 0, "character": 8}
        hover = lsp.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": at})
        assert "F401" in hover["contents"]["value"]
        command = fixes[0]["command"]
        recorded = lsp.request("workspace/executeCommand", command)
        assert recorded == {"recorded": True}
        report = lsp.request("workspace/executeCommand", {"command": "surefix.showReport"})
        assert Path(report["path"]).is_file()
        retrain = lsp.request("workspace/executeCommand", {"command": "surefix.retrain"})
        assert retrain["promoted"] is False and "at least" in retrain["message"], retrain
        lsp.request("shutdown", None)
        lsp.notify("exit", None)
        assert process.wait(TIMEOUT) == 0
    finally:
        watchdog.cancel()
        process.kill()
        process.wait()
    seen = imported(log.read_text())
    assert "surefix.server.lsp.server" in seen  # the probe saw the server's imports
    assert loaded(seen, TRAINING_LIBRARIES) == []
