"""Latency and memory of `surefix serve`, measured beside its peers in the same run.

    make bench            # or: .venv/bin/python benchmarks/run.py [--rounds N] [--json]

Three real modules of the running Python's standard library (the ones closest to 100, 1,000 and
3,500 lines) are copied into a temporary project whose `ruff.toml` selects surefix's default
rules, so bare `ruff check`, `ruff server` and surefix all lint the same text with the same
rules. One LSP client drives both servers with the same requests. Reported: medians, p50/p99,
and the ratios the README quotes. Nothing here is a pass/fail test; it prints numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

from surefix.features.ruff.project import DEFAULT_SELECT
from surefix.features.ruff.run import find_ruff
from surefix.model.analysis import analyze
from surefix.model.scoring.scorer import load_model

TARGET_LINES = (100, 1000, 3500, 5500)  # the last: fix-all on a 5,000+ line file
OPEN_DOCUMENTS = 100  # memory with this many documents open, then after closing them
SETTLE_S = 0.5  # memory is read after the server has been idle this long
TIMEOUT = 120.0


def stdlib_modules() -> list[Path]:
    """The standard-library modules closest in length to each target."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    sizes = []
    for path in lib.glob("*.py"):
        text = path.read_text(encoding="utf-8", errors="replace")
        sizes.append((text.count("\n"), path))
    return [min(sizes, key=lambda s: abs(s[0] - target))[1] for target in TARGET_LINES]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


class Client:
    """A minimal LSP client that times requests and waits for diagnostics by version."""

    def __init__(self) -> None:
        self.lsp = LanguageClient("surefix-bench", "1", converter_factory=lenient_converter)
        self.published: dict[str, tuple[int | None, list[t.Diagnostic]]] = {}
        self.events: dict[str, asyncio.Event] = {}

        @self.lsp.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: t.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = (params.version, list(params.diagnostics))
            self.events.setdefault(params.uri, asyncio.Event()).set()

        @self.lsp.feature(t.WINDOW_LOG_MESSAGE)
        def log(params: t.LogMessageParams) -> None: ...

        @self.lsp.feature(t.WINDOW_SHOW_MESSAGE)
        def show(params: t.ShowMessageParams) -> None: ...

        @self.lsp.feature(t.WORKSPACE_CONFIGURATION)
        def configuration(params: t.ConfigurationParams) -> list[Any]:
            return [None for _ in params.items]

        @self.lsp.feature(t.CLIENT_REGISTER_CAPABILITY)
        def register(params: t.RegistrationParams) -> None: ...

        @self.lsp.feature("surefix/status")
        def status(params: Any) -> None: ...

    async def start(self, command: list[str], root: Path) -> float:
        """Spawn the server; returns seconds from spawn to the `initialize` result."""
        began = time.perf_counter()
        await self.lsp.start_io(*command)
        await asyncio.wait_for(
            self.lsp.initialize_async(
                t.InitializeParams(
                    capabilities=capabilities(),
                    root_uri=root.as_uri(),
                    workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name="bench")],
                    initialization_options={"debounceMs": 0},
                )
            ),
            TIMEOUT,
        )
        elapsed = time.perf_counter() - began
        self.lsp.initialized(t.InitializedParams())
        return elapsed

    @property
    def pid(self) -> int:
        server = self.lsp._server
        assert server is not None
        return int(server.pid)

    async def diagnostics(self, uri: str, version: int) -> list[t.Diagnostic]:
        while (
            self.published.get(uri, (None, []))[0] not in (version, None)
            or uri not in self.published
        ):
            event = self.events.setdefault(uri, asyncio.Event())
            event.clear()
            await asyncio.wait_for(event.wait(), TIMEOUT)
        return self.published[uri][1]

    def open(self, uri: str, text: str) -> None:
        self.lsp.text_document_did_open(
            t.DidOpenTextDocumentParams(
                text_document=t.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )

    def change(self, uri: str, version: int, text: str) -> None:
        self.lsp.text_document_did_change(
            t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def round_trip(self) -> None:
        """One request answered: every message sent before it has been handled."""
        at = t.HoverParams(
            text_document=t.TextDocumentIdentifier(uri="file:///nowhere.py"),
            position=t.Position(line=0, character=0),
        )
        with contextlib.suppress(Exception):  # an error answer is an answer too
            await asyncio.wait_for(self.lsp.text_document_hover_async(at), TIMEOUT)

    async def timed(self, request: Callable[[], Any], rounds: int) -> list[float]:
        out = []
        for _ in range(rounds):
            began = time.perf_counter()
            await asyncio.wait_for(request(), TIMEOUT)
            out.append(time.perf_counter() - began)
        return out

    async def stop(self) -> dict[str, float]:
        memory = rss(self.pid)
        await self.lsp.shutdown_async(None)
        self.lsp.exit(None)
        await self.lsp.stop()
        return memory


def lenient_converter() -> Any:
    """lsprotocol rejects `ruff server`'s notebook selector (cells without a notebook); the
    benchmark does not use notebooks, so that part of the capabilities is dropped."""
    from pygls.protocol import default_converter

    converter = default_converter()
    structure = converter.get_structure_hook(t.ServerCapabilities)

    def hook(obj: Any, kind: Any) -> t.ServerCapabilities:
        return structure({k: v for k, v in obj.items() if k != "notebookDocumentSync"}, kind)

    converter.register_structure_hook(t.ServerCapabilities, hook)
    return converter


def capabilities() -> t.ClientCapabilities:
    return t.ClientCapabilities(
        general=t.GeneralClientCapabilities(position_encodings=[t.PositionEncodingKind.Utf16]),
        text_document=t.TextDocumentClientCapabilities(
            code_action=t.CodeActionClientCapabilities(
                code_action_literal_support=t.ClientCodeActionLiteralOptions(
                    code_action_kind=t.ClientCodeActionKindOptions(value_set=["quickfix", "source"])
                )
            ),
            hover=t.HoverClientCapabilities(content_format=[t.MarkupKind.Markdown]),
            publish_diagnostics=t.PublishDiagnosticsClientCapabilities(version_support=True),
        ),
    )


async def settled_rss(pid: int) -> dict[str, float]:
    """`rss` once the server has been idle for `SETTLE_S`, as a person would see it between
    bursts of work (the server hands freed memory back when it goes quiet); the peak is in it."""
    await asyncio.sleep(SETTLE_S)
    return rss(pid)


def rss(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak, from /proc (Linux)."""
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return {
        "rss_mb": fields.get("VmRSS", float("nan")),
        "peak_rss_mb": fields.get("VmHWM", float("nan")),
    }


def imports_sklearn(pid: int) -> bool:
    try:
        return "sklearn" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def code_action_params(
    uri: str, text: str, diagnostics: list[t.Diagnostic], only: list[str] | None
) -> t.CodeActionParams:
    last = text.count("\n")
    return t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri),
        range=t.Range(
            start=t.Position(line=0, character=0), end=t.Position(line=last, character=0)
        ),
        context=t.CodeActionContext(diagnostics=diagnostics, only=only),
    )


async def bench_server(
    name: str, command: list[str], files: list[Path], root: Path, rounds: int
) -> dict[str, Any]:
    client = Client()
    began = time.perf_counter()
    init = await client.start(command, root)
    result: dict[str, Any] = {"initialize_ms": ms(init), "files": {}}
    first = files[1]  # the 1,000-line module: spawn to its first diagnostics
    client.open(first.as_uri(), first.read_text(encoding="utf-8"))
    await client.diagnostics(first.as_uri(), 1)
    result["first_diagnostics_ms"] = ms(time.perf_counter() - began)
    fix_all_kind = "source.fixAll.surefix" if name == "surefix" else "source.fixAll.ruff"
    for path in files:
        uri, text = path.as_uri(), path.read_text(encoding="utf-8")
        if path != first:
            client.open(uri, text)
        diagnostics = await client.diagnostics(uri, 1)
        version, latencies, fix_alls = 1, [], []
        for i in range(max(5, rounds // 10)):
            version += 1
            changed = text + f"\n# edit {i}\n"
            began = time.perf_counter()
            client.change(uri, version, changed)
            diagnostics = await client.diagnostics(uri, version)
            latencies.append(time.perf_counter() - began)
            # fix-all as on save: the first request on a version just linted
            fix_all = code_action_params(uri, changed, diagnostics, [fix_all_kind])
            began = time.perf_counter()
            await client.lsp.text_document_code_action_async(fix_all)
            fix_alls.append(time.perf_counter() - began)
            # from an idle server: let any work after the publish (scoring) finish first
            await client.lsp.text_document_code_action_async(
                code_action_params(uri, changed, [], [t.CodeActionKind.QuickFix])
            )
        version += 1
        client.change(uri, version, text)
        diagnostics = await client.diagnostics(uri, version)
        whole = code_action_params(uri, text, diagnostics, None)
        actions = await client.timed(
            lambda whole=whole: client.lsp.text_document_code_action_async(whole), rounds
        )
        fixable = [d for d in diagnostics if isinstance(d.data, dict) and d.data.get("fixable")]
        ones = [one_diagnostic(uri, d) for d in fixable or diagnostics]
        turn = iter(ones * (rounds // max(len(ones), 1) + 1))
        singles = await client.timed(
            lambda turn=turn: client.lsp.text_document_code_action_async(next(turn)), rounds
        )
        entry = {
            "diagnostics": len(diagnostics),
            "diagnostics_ms_median": ms(statistics.median(latencies)),
            "code_action_ms_p50": ms(percentile(actions, 0.5)),
            "code_action_ms_p99": ms(percentile(actions, 0.99)),
            "one_action_ms_p50": ms(percentile(singles, 0.5)),
            "one_action_ms_p99": ms(percentile(singles, 0.99)),
            "fix_all_ms_median": ms(statistics.median(fix_alls)),
        }
        if name == "surefix" and fixable:
            at = t.HoverParams(
                text_document=t.TextDocumentIdentifier(uri=uri), position=fixable[0].range.start
            )
            hovers = await client.timed(
                lambda at=at: client.lsp.text_document_hover_async(at), rounds
            )
            entry["hover_ms_p50"] = ms(percentile(hovers, 0.5))
            entry["hover_ms_p99"] = ms(percentile(hovers, 0.99))
        result["files"][path.name] = entry
    result["after_run"] = await settled_rss(client.pid)
    result.update(await open_many(client, files[1], root))
    result["sklearn_loaded"] = imports_sklearn(client.pid)
    result.update(await client.stop())
    return result


def one_diagnostic(uri: str, d: t.Diagnostic) -> t.CodeActionParams:
    """A lightbulb's request: one diagnostic's range, with it as the context."""
    return t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri),
        range=d.range,
        context=t.CodeActionContext(diagnostics=[d]),
    )


async def open_many(client: Client, path: Path, root: Path) -> dict[str, Any]:
    """Resident memory with `OPEN_DOCUMENTS` copies of `path` open and linted, then after all
    are closed again: closing a document must free what it held."""
    text = path.read_text(encoding="utf-8")
    folder = root / "many"
    folder.mkdir(exist_ok=True)
    uris = []
    for i in range(OPEN_DOCUMENTS):
        copy = folder / f"m{i}.py"
        copy.write_text(text, encoding="utf-8")
        uris.append(copy.as_uri())
        client.open(uris[-1], text)
    began = time.perf_counter()
    for uri in uris:
        await client.diagnostics(uri, 1)
    done_ms = ms(time.perf_counter() - began)
    opened = {**(await settled_rss(client.pid)), "last_diagnostics_ms": done_ms}
    for uri in uris:
        client.lsp.text_document_did_close(
            t.DidCloseTextDocumentParams(text_document=t.TextDocumentIdentifier(uri=uri))
        )
    await client.round_trip()  # the closes are handled before it is answered
    return {"open_many": opened, "closed_many": await settled_rss(client.pid)}


def import_floor(rounds: int = 5) -> float:
    """Seconds to start Python and import pygls's server (median): no pygls server can answer
    `initialize` sooner."""
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import pygls.lsp.server"], check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def bare_ruff(files: list[Path], root: Path, rounds: int) -> dict[str, float]:
    ruff = find_ruff()
    out = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        cmd = [
            ruff,
            "check",
            "--output-format",
            "json",
            "--no-cache",
            "--exit-zero",
            "--stdin-filename",
            str(path),
            "-",
        ]
        times = []
        for _ in range(max(5, rounds // 10)):
            began = time.perf_counter()
            subprocess.run(cmd, input=text.encode(), capture_output=True, cwd=root, check=True)
            times.append(time.perf_counter() - began)
        out[path.name] = ms(statistics.median(times))
    return out


def scoring_500(path: Path) -> float:
    """Milliseconds for the numpy model to score 500 real feature rows (median of 50)."""
    model = load_model()
    analysis = analyze(path.read_text(encoding="utf-8"), path, model)
    rows = [c.row for c in analysis.candidates]
    rows = (rows * (500 // max(len(rows), 1) + 1))[:500]
    times = []
    for _ in range(50):
        began = time.perf_counter()
        model.score(rows)
        times.append(time.perf_counter() - began)
    return ms(statistics.median(times))


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ruff = subprocess.run([find_ruff(), "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "ruff": ruff,
        "os": platform.platform(),
    }


async def main(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "ruff.toml").write_text(f"[lint]\nselect = {json.dumps(list(DEFAULT_SELECT))}\n")
        files = []
        for module in stdlib_modules():
            files.append(Path(shutil.copy(module, root / module.name)))
        lines = {p.name: p.read_text(encoding="utf-8").count("\n") for p in files}
        report: dict[str, Any] = {"machine": machine(), "rounds": rounds, "lines": lines}
        report["import_floor_ms"] = ms(import_floor())
        report["ruff_check_ms"] = bare_ruff(files, root, rounds)
        report["surefix"] = await bench_server(
            "surefix", [sys.executable, "-m", "surefix.server.cli", "serve"], files, root, rounds
        )
        report["ruff_server"] = await bench_server(
            "ruff", [find_ruff(), "server"], files, root, rounds
        )
        report["score_500_ms"] = scoring_500(files[-1])
    return report


HEADER = (
    "| file (lines) | diagnostics: surefix / bare `ruff check` | ratio "
    "| one diagnostic's actions p99: surefix / `ruff server` | ratio "
    "| whole-file actions p99 | ratio | fix-all | ratio | hover p50 / p99 |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)
GOALS = {"diagnostics": 1.3, "one": 0.2, "whole": 0.5, "fix_all": 2.0}


def table(report: dict[str, Any]) -> str:
    """The README's tables: one row per file with each ratio against its peer (and its goal),
    then the one-off numbers."""
    sf, rs, bare = report["surefix"], report["ruff_server"], report["ruff_check_ms"]
    rows = [HEADER]
    for name, lines in report["lines"].items():
        a, b = sf["files"][name], rs["files"][name]

        def pair(key: str, peer: float, a: dict[str, Any] = a) -> list[str]:
            return [f"{a[key]} / {peer} ms", f"{a[key] / peer:.2f}"]

        cells = [
            f"`{name}` ({lines:,})",
            *pair("diagnostics_ms_median", bare[name]),
            *pair("one_action_ms_p99", b["one_action_ms_p99"]),
            *pair("code_action_ms_p99", b["code_action_ms_p99"]),
            *pair("fix_all_ms_median", b["fix_all_ms_median"]),
            f"{a.get('hover_ms_p50', '-')} / {a.get('hover_ms_p99', '-')} ms",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    names = {"diagnostics": "diagnostics", "one": "one diagnostic's actions",
             "whole": "whole-file actions", "fix_all": "fix-all"}  # fmt: skip
    goals = " · ".join(f"{names[k]} ≤ {goal} times" for k, goal in GOALS.items())
    floor = report["import_floor_ms"]
    init, first = sf["initialize_ms"], sf["first_diagnostics_ms"]
    peer_first = rs["first_diagnostics_ms"]
    many, closed, peer_many = sf["open_many"], sf["closed_many"], rs["open_many"]
    sklearn = "yes" if sf["sklearn_loaded"] else "no"
    m = report["machine"]
    rows += [
        "",
        f"Goals for the ratios: {goals}; fix-all on the largest file ≤ 150 ms.",
        "",
        "| once per run | surefix | peer | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| spawn → `initialize` result (peer: `import pygls.lsp.server`) | {init} ms"
        f" | {floor} ms | {init / floor:.2f} |",
        f"| spawn → first diagnostics, `{list(report['lines'])[1]}` (peer: `ruff server`) |"
        f" {first} ms | {peer_first} ms | {first / peer_first:.2f} |",
        f"| scoring 500 fixes | {report['score_500_ms']} ms | | |",
        f"| resident memory after the run | {sf['after_run']['rss_mb']} MB"
        f" | {rs['after_run']['rss_mb']} MB | |",
        f"| … with {OPEN_DOCUMENTS} documents open | {many['rss_mb']} MB"
        f" | {peer_many['rss_mb']} MB | |",
        f"| … after closing them | {closed['rss_mb']} MB | {rs['closed_many']['rss_mb']} MB | |",
        f"| peak resident memory | {closed['peak_rss_mb']} MB"
        f" | {rs['closed_many']['peak_rss_mb']} MB | |",
        f"| {OPEN_DOCUMENTS} documents opened → their last diagnostics"
        f" | {many['last_diagnostics_ms']} ms | {peer_many['last_diagnostics_ms']} ms | |",
        "",
        f"scikit-learn loaded by the server: {sklearn}. Machine: {m['cpu']}, {m['cores']} cores,"
        f" Python {m['python']}, {m['ruff']}, {m['os']}; {report['rounds']} requests per p99.",
    ]
    return "\n".join(rows)


def produced_every_row(report: dict[str, Any]) -> list[str]:
    """What a smoke run checks: every number of the table is there (never how large)."""
    missing = []
    for server in ("surefix", "ruff_server"):
        for name in report["lines"]:
            entry = report[server]["files"].get(name, {})
            for key in ("diagnostics_ms_median", "one_action_ms_p99", "code_action_ms_p99",
                        "fix_all_ms_median"):  # fmt: skip
                if not isinstance(entry.get(key), float | int):
                    missing.append(f"{server} {name} {key}")
        for key in ("initialize_ms", "first_diagnostics_ms", "open_many", "closed_many"):
            if key not in report[server]:
                missing.append(f"{server} {key}")
    return missing


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="requests per p50/p99 measurement")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    args = parser.parse_args()
    result = asyncio.run(main(args.rounds))
    print(json.dumps(result, indent=1) if args.json else table(result))
    missing = produced_every_row(result)
    if missing:
        print(f"missing: {', '.join(missing)}", file=sys.stderr)
        sys.exit(1)
