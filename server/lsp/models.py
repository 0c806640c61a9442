"""Which trust model scores this session's fixes, and the thresholds that band them.

The configured model, else the user's promoted one, else the bundled one, else none: a model
that fails to load is reported and the next one is tried, so fixes are always offered — without
a model they are unscored and nothing is applied automatically. A model that loads but then
gives a score that is not a number is refused the same way (`refuse`): said once, naming the
file and what is wrong, and the next one is used until the model is loaded again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from surefix.model.local.registry import Registry
from surefix.model.scoring.artifact import ArtifactError, Thresholds
from surefix.model.scoring.scorer import ScoreError, TrustModel, load_model

BUNDLED = "bundled"
UNSCORED = "fixes are shown without scores and none is applied automatically"


class Models:
    """The model in use, where it came from, and the user's threshold overrides.

    A model is loaded when first needed, not when asked for: `load` names it, and the first
    read of `model` or `source` (or `ensure`, which the server runs off the event loop once
    the first diagnostics are on their way) loads it, with numpy. So `initialize` and the
    first diagnostics never wait for either."""

    def __init__(self, say: Callable[[str, bool], None]) -> None:
        self._say = say  # (message, is_error); may be called from an analysis thread
        self._model: TrustModel | None = None
        self._source: str | None = None  # a path, or "bundled"
        self._pending = False  # `load` was called and the model is not loaded yet
        self._lock = threading.RLock()
        self.named = False  # `load` has been called at least once
        self.auto: float | None = None
        self.review: float | None = None
        self._configured: str | None = None
        self._data_dir: Path | None = None
        self._refused: set[str] = set()  # sources whose scores were no numbers, until a load

    def load(self, configured: str | None, data_dir: Path) -> None:
        """Load the model to use now (at start, on a setting change, after retrain or reset).
        Models refused earlier get another chance: the file may have been replaced."""
        with self._lock:
            self._configured, self._data_dir = configured, data_dir
            self._refused.clear()
            self._pending, self.named = True, True

    def ensure(self) -> None:
        """Load the model `load` named, if that is still to do (blocking: numpy, the file)."""
        with self._lock:
            if self._pending:
                self._pending = False
                self._choose()

    @property
    def model(self) -> TrustModel | None:
        self.ensure()
        return self._model

    @property
    def source(self) -> str | None:
        self.ensure()
        return self._source

    def refuse(self, problem: ScoreError) -> bool:
        """`problem.model` gave a score that is not a finite number: stop using it and fall
        back to the next model, as for one that fails to load. Only the model in use is
        refused, so a second report about it (a file scored before the switch) says nothing
        again. Returns whether the model in use changed."""
        with self._lock:
            if problem.model is not self.model or self.source is None:
                return False
            refused = self.source
            self._refused.add(refused)
            then = UNSCORED if refused == BUNDLED else "using the bundled one instead"
            self._say(f"surefix: {problem}; {then}", refused == BUNDLED)
            self._choose()
            return True

    def _choose(self) -> None:
        configured = self._configured
        if configured and configured not in self._refused:
            try:
                self._model, self._source = load_model(configured), configured
                return
            except ArtifactError as exc:
                self._say(
                    f"surefix: cannot load the model at {configured} ({exc}); "
                    "using the bundled one",
                    False,
                )
        local = Registry(self._data_dir).active() if self._data_dir is not None else None
        if local is not None and not configured and str(local) not in self._refused:
            try:
                self._model, self._source = load_model(local), str(local)
                return
            except ArtifactError as exc:
                self._say(
                    f"surefix: cannot load your retrained model {local.name} ({exc}); using the "
                    "bundled one (`surefix model rollback` returns to the previous)",
                    False,
                )
        self._model, self._source = None, None
        if BUNDLED in self._refused:
            return  # said when it was refused
        try:
            self._model, self._source = load_model(), BUNDLED
        except ArtifactError as exc:
            self._say(f"surefix: no trust model could be loaded ({exc}); {UNSCORED}", True)

    @property
    def version(self) -> str:
        return self.model.version if self.model is not None else "none"

    def learned_through(self) -> float | None:
        """Time of the newest local outcome the model in use was trained on (None: none)."""
        if self.model is None:
            return None
        through = self.model.artifact.manifest.get("training_data", {}).get("local_through")
        return float(through) if isinstance(through, int | float) else None

    def thresholds(self) -> Thresholds | None:
        """The model card's thresholds, each overridden by the user's setting when set."""
        if self.model is None:
            return None
        card = self.model.thresholds
        return Thresholds(
            auto=self.auto if self.auto is not None else card.auto,
            review=self.review if self.review is not None else card.review,
        )

    def status(self, collecting: bool) -> dict[str, Any]:
        """What an editor's status line shows: the model in use and whether outcomes are kept."""
        return {
            "model": self.version,
            "source": BUNDLED if self.source == BUNDLED else "local",
            "collecting": collecting,
        }
