"""From a document version to its scored analysis: lint (only when needed), publish, score.

Ruff's diagnostics go out as soon as Ruff answers; scoring (for code actions and hover) follows.
Ruff runs only when the text or the Ruff settings changed: a new outcome, record, threshold or
model re-scores the cached lint result of the same version. Parsing the document in parallel
with Ruff was measured slower: the parse holds the GIL and delays reading Ruff's output more
than it saves. Nothing here writes the outcome store.

A model whose score for some fix is not a number (`ScoreError`) is handed to `refuse`, which
replaces it, and the same lint result is scored again with the model now in use; the chain ends
with no model, whose unscored analysis cannot fail.
"""

from __future__ import annotations

import asyncio
import threading
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pygls.uris import to_fs_path

from surefix.features.document import Document
from surefix.features.featurize import RuleHistory
from surefix.features.project.cache import FactsCache
from surefix.features.project.facts import ProjectFacts
from surefix.features.project.root import SymlinkLoop
from surefix.features.ruff.edits import LineIndex
from surefix.features.ruff.findings import Position
from surefix.features.ruff.notebook import NOTEBOOK_SUFFIX, Cells
from surefix.features.ruff.project import RuffRun, run_for
from surefix.features.ruff.run import Knobs, RuffError, RuffOptions, default_rules
from surefix.model.analysis import Analysis, Linted, assess, demote, lint
from surefix.model.scoring.artifact import Thresholds
from surefix.model.scoring.scorer import ScoreError, TrustModel
from surefix.server.lsp.diagnostics import Publisher
from surefix.server.lsp.documents import Analyzed, Source
from surefix.server.lsp.layout import FileLayout, Layout
from surefix.server.lsp.notebooks import Snapshot
from surefix.server.lsp.settings import SECTION

T = TypeVar("T")
MODEL_ATTEMPTS = 4  # configured or retrained, bundled, none: each refusal moves one step on
KEPT_PARSES = 8  # documents whose next version is parsed from their last


@dataclass(frozen=True)
class LintSetup:
    """How Ruff runs, from the settings: a change of any of it means linting again."""

    ruff: RuffOptions
    select: tuple[str, ...]
    max_file_size: int


@dataclass(frozen=True)
class Scoring:
    """What scoring a version needs, as of now: a snapshot, so a run is never half-updated."""

    model: TrustModel | None
    thresholds: Thresholds | None
    history: Callable[[str], RuleHistory]
    demotions: Mapping[str, str]


class Client(Protocol):
    """What analysing needs to know of the client and the workspace."""

    def position_encoding(self) -> str | None: ...

    def takes_document_changes(self) -> bool: ...

    def is_current(self, uri: str, version: int) -> bool: ...

    def root(self) -> str | None: ...

    def workspace_of(self, path: Path) -> Path | None: ...


@dataclass(frozen=True)
class _Lint:
    version: int
    setup: LintSetup
    facts: ProjectFacts
    linted: Linted


class Analyzer:
    """Analyses versions for the document cache, keeping each document's last lint result."""

    def __init__(
        self,
        client: Client,
        publisher: Publisher,
        setup: Callable[[], LintSetup],
        scoring: Callable[[], Scoring],
        ready: Callable[[], Awaitable[None]],
        log_error: Callable[[str], None],
        refuse: Callable[[ScoreError, str], None],
        model_ready: Callable[[], Awaitable[None]],
    ) -> None:
        self._client, self._publisher = client, publisher
        self._model_ready = model_ready  # scoring waits for the model; the lint before it does not
        self._setup, self._scoring, self._ready, self._log_error = setup, scoring, ready, log_error
        self._refuse = refuse  # (what went wrong, the document being analysed)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="surefix")
        self._lints: dict[str, _Lint] = {}
        # The last text parsed of the documents analysed most recently, the ones being edited:
        # kept for all of a hundred open files, their trees would double what the server holds.
        self._parses: OrderedDict[str, tuple[Path, Document]] = OrderedDict()
        self._facts: tuple[str | None, FactsCache] | None = None  # per Ruff executable
        self._lock = threading.Lock()  # the analysis threads share the caches

    async def analyze(self, uri: str, version: int, source: Source) -> Analyzed | None:
        """Lint (if needed), publish and score one version of a file, or one revision of a
        notebook (`Snapshot`), whose cells are linted together as the `.ipynb` it is."""
        await self._ready()
        setup = self._setup()
        notebook = source if isinstance(source, Snapshot) else None
        text = source.text if isinstance(source, Snapshot) else source
        documents = notebook.published() if notebook is not None else [(uri, version)]
        texts = notebook.cells.texts if notebook is not None else (text,)
        size = sum(len(part.encode("utf-8", "surrogatepass")) for part in texts)
        if size > setup.max_file_size:
            self._publisher.skipped(uri, documents, too_large(uri, size, setup.max_file_size))
            return None
        for k, part in enumerate(texts):
            surrogate = lone_surrogate(part)
            if surrogate is not None:
                name = uri.rsplit("/", 1)[-1] + (f", cell {k + 1}," if notebook else "")
                self._publisher.skipped(uri, documents, not_utf8(name, surrogate))
                return None
        path = self.path_of(uri, NOTEBOOK_SUFFIX if notebook else ".py")
        try:
            encoding, versioned = (
                self._client.position_encoding(),
                self._client.takes_document_changes(),
            )
            layout: Layout = (
                notebook.layout(encoding, versioned)
                if notebook is not None
                else FileLayout(uri, version, text, encoding, versioned)
            )
            facts = await self.in_pool(self.facts, path)  # a first read can take seconds
            self._publisher.project_problems(facts.root, facts.problems)
            cached = self._lints.get(uri)
            if cached is not None and (cached.version, cached.setup, cached.facts) == (
                version,
                setup,
                facts,
            ):
                linted = cached.linted  # a re-score: same text, same Ruff settings and project
            else:
                lintable: str | Cells = notebook.cells if notebook is not None else text
                linted = await self.in_pool(lint, lintable, path, setup.ruff, setup.select, facts)
                self._lints[uri] = _Lint(version, setup, facts, linted)
                if self._client.is_current(uri, version):
                    result = linted.result
                    self._publisher.publish(uri, layout, version, result.violations, result.errors)
            analysis = await self.scored(uri, text, path, linted)
        except RuffError as exc:
            self._publisher.failed(uri, documents, ruff_failure(exc))
            return None
        except SymlinkLoop as exc:
            self._publisher.failed(
                uri, documents, f"{exc}; it cannot be linted until the loop is broken"
            )
            return None
        except Exception as exc:  # a bug of ours must not take the editor down with it
            self._log_error(traceback.format_exc())
            self._publisher.failed(uri, documents, f"internal error while analysing ({exc!r})")
            return None
        return Analyzed(uri, version, analysis, layout)

    async def scored(self, uri: str, text: str, path: Path, linted: Linted) -> Analysis:
        """Score a lint result on the analysis threads with the model in use; if that model
        gives some fix a score that is not a number, it is refused and the next one scores."""
        await self._model_ready()
        for _ in range(MODEL_ATTEMPTS):
            scoring = self._scoring()
            try:
                return await self.in_pool(self._score, uri, text, path, linted, scoring)
            except ScoreError as exc:
                self._refuse(exc, uri)
        return await self.in_pool(self._score, uri, text, path, linted, self._unscored())

    def _score(self, uri: str, text: str, path: Path, linted: Linted, scoring: Scoring) -> Analysis:
        return score(text, path, linted, scoring, self._parsed(uri, text, path))

    def _parsed(self, uri: str, text: str, path: Path) -> Document:
        """`text`, the document's new version, parsed from its last one (`Document.revised`):
        an edit parses again only the statements it touched. Remembered, so a fix-all on this
        version starts from it too."""
        with self._lock:
            at, last = self._parses.pop(uri, (None, None))
        if last is not None and at == path:
            document = last.revised(text)
        else:
            document = Document(text, str(path))
        with self._lock:
            self._parses[uri] = (path, document)
            while len(self._parses) > KEPT_PARSES:
                self._parses.popitem(last=False)
        return document.remember()

    def _unscored(self) -> Scoring:
        scoring = self._scoring()
        return Scoring(None, None, scoring.history, scoring.demotions)

    def analyze_blocking(
        self, uri: str, source: str | Cells, parse: Callable[[], Document] | None = None
    ) -> Analysis:
        """Lint and score another text (or a notebook's other cells) as the document `uri`
        (fix-all's rounds, in the pool; `parse`: the text parsed, while Ruff lints). A
        `ScoreError` goes to the caller, on the event loop, which refuses the model."""
        setup = self._setup()
        notebook = isinstance(source, Cells)
        path = self.path_of(uri, NOTEBOOK_SUFFIX if notebook else ".py")
        linted = lint(source, path, setup.ruff, setup.select, self.facts(path), parse)
        text = source.text if isinstance(source, Cells) else source
        return score(text, path, linted, self._scoring(), parse() if parse else None)

    def ruff_run(self, uri: str, select: tuple[str, ...] = ()) -> RuffRun:
        """How Ruff runs for the document `uri` now, blocking (formatting, organize imports):
        the lint's program, extra arguments, timeout and project; `select`, when given,
        replaces the rules."""
        setup = self._setup()
        path = self.path_of(uri)
        base = replace(setup.ruff, select=select) if select else setup.ruff
        return run_for(path, self.facts(path), base, setup.select)

    def facts(self, path: Path) -> ProjectFacts:
        """What the project around `path` chose (its root, rules, formatter), re-read only
        when one of its configuration files changed."""
        ruff = self._setup().ruff
        with self._lock:
            if self._facts is None or self._facts[0] != ruff.executable:
                self._facts = (ruff.executable, FactsCache(default_rules(ruff)))
            cache = self._facts[1]
        return cache.get(path, self._client.workspace_of(path))

    async def in_pool(self, work: Callable[..., T], *args: Any) -> T:
        """Run blocking work (Ruff, scoring, fix-all) on the analysis threads."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    def path_of(self, uri: str, suffix: str = ".py") -> Path:
        """Where Ruff should think the buffer lives (its config and per-file rules follow). A
        notebook's path ends in `.ipynb` whatever its URI says: that is what makes Ruff read
        the notebook JSON it is given."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if path:
            found = Path(path)
            if suffix == NOTEBOOK_SUFFIX and found.suffix != suffix:
                return found.with_name(found.name + suffix)
            return found
        root = self._client.root() or str(Path.cwd())
        name = uri.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or "untitled"
        return Path(root) / (name if name.endswith(suffix) else f"{name}{suffix}")

    def facts_of(self, uri: str) -> ProjectFacts | None:
        """The project facts the document's last lint was made with (None before its first)."""
        cached = self._lints.get(uri)
        return cached.facts if cached is not None else None

    def forget(self, uri: str) -> None:
        self._lints.pop(uri, None)
        with self._lock:
            self._parses.pop(uri, None)


def score(
    text: str, path: Path, linted: Linted, scoring: Scoring, document: Document | None = None
) -> Analysis:
    model, history, thresholds = scoring.model, scoring.history, scoring.thresholds
    analysis = assess(text, path, linted, model, history, thresholds, document)
    return demote(analysis, scoring.demotions)


def lone_surrogate(text: str) -> Position | None:
    """Where `text` holds half a UTF-16 pair (a client may send one; no file on disk can):
    such text is not Unicode, Ruff cannot read it, and any stand-in would put a fix on a
    character that is not there."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return LineIndex(text).position(exc.start)
    return None


def not_utf8(name: str, at: Position) -> str:
    return (
        f"surefix: {name} holds a lone surrogate at line {at.line + 1}, "
        f"column {at.column + 1}: it is not valid UTF-8, so it is not linted"
    )


# What a Ruff failure's remedy calls the settings that put it right.
KNOBS = Knobs(
    ruff_path=f"set {SECTION}.ruffPath to",
    unset="leave it empty",
    ruff_args=f"{SECTION}.ruffArgs or {SECTION}.select",
    timeout=f"{SECTION}.lintTimeout",
    retry="it may pass: surefix tries again on the next change",
)


def ruff_failure(exc: RuffError) -> str:
    """A Ruff failure for the user: what was run and went wrong, then what to do, in the
    settings' names ("… cannot be run: it is not executable. Set surefix.ruffPath to …")."""
    remedy = exc.remedy(KNOBS)
    return f"{exc.problem}. {remedy[:1].upper()}{remedy[1:]}."


def too_large(uri: str, size: int, limit: int) -> str:
    return (
        f"surefix: {uri.rsplit('/', 1)[-1]} is {size / 1e6:.1f} MB; files above "
        f"{limit / 1e6:g} MB are not linted (setting {SECTION}.maxFileSize)"
    )
