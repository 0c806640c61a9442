"""The user's own models: every promoted retrain, kept side by side in the data directory.

    <data dir>/models/<version>/manifest.json, params.json   one artifact per promotion
    <data dir>/models/active.json                            which of them is in use, in order

`active.json` holds a stack of versions: a promotion pushes, a rollback pops (back to the
previous local model, or to the bundled one when the stack is empty), a reset clears it. Model
directories are never deleted, so a rollback can always be undone by hand and a report can list
every model the user has had. The file is replaced atomically; a missing or unreadable one means
"the bundled model", which is the safe reading.

No scikit-learn here: the server reads the registry to decide which model to load.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from surefix.model.files import write_json_atomic
from surefix.model.scoring.artifact import Artifact, load_artifact, save_artifact

MODELS_DIR = "models"
ACTIVE_FILE = "active.json"
BUNDLED = "bundled"


@dataclass(frozen=True)
class Entry:
    """One promotion: the version and when and why it happened."""

    version: str
    promoted_at: str
    note: str

    def to_dict(self) -> dict[str, str]:
        return {"version": self.version, "promoted_at": self.promoted_at, "note": self.note}


class Registry:
    """The versioned local models under `data_dir/models`."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / MODELS_DIR

    @property
    def active_file(self) -> Path:
        return self.root / ACTIVE_FILE

    def stack(self) -> list[Entry]:
        """Promotions still in effect, oldest first; the last one is the active model."""
        try:
            raw = json.loads(self.active_file.read_text())
            return [Entry(str(e["version"]), str(e["promoted_at"]), str(e["note"])) for e in raw]
        except (OSError, ValueError, TypeError, KeyError):
            return []

    def active(self) -> Path | None:
        """The directory of the model in use, or None for the bundled model."""
        stack = self.stack()
        return self.root / stack[-1].version if stack else None

    def versions(self) -> list[str]:
        """Every local model ever promoted (directories on disk), newest first."""
        if not self.root.is_dir():
            return []
        found = [p for p in self.root.iterdir() if (p / "manifest.json").is_file()]
        return [p.name for p in sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)]

    def promote(self, artifact: Artifact, note: str) -> Path:
        """Write `artifact` under its version and make it the active model."""
        directory = save_artifact(artifact, self.root / artifact.version)
        load_artifact(directory)  # read back through the server's loader before it is used
        entry = Entry(artifact.version, now(), note)
        self._write([*self.stack(), entry])
        return directory

    def rollback(self) -> str:
        """Back to the previous model; returns the version now active (`bundled` at the end)."""
        stack = self.stack()[:-1]
        self._write(stack)
        return stack[-1].version if stack else BUNDLED

    def reset(self) -> str:
        """Back to the bundled model; the local models stay on disk."""
        self._write([])
        return BUNDLED

    def _write(self, stack: list[Entry]) -> None:
        write_json_atomic(self.active_file, [e.to_dict() for e in stack])


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
