"""numpy, imported on first use: the language server answers `initialize` and publishes its
first diagnostics before any fix is scored, so it should not wait ~150 ms for numpy first.

Modules on the server's path write `from surefix.model.lazy_numpy import np` (and import the
real numpy under `TYPE_CHECKING`). The first attribute read imports numpy and copies its
namespace onto the stand-in, so later reads are plain attribute lookups.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any


class _LazyNumpy:
    _lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:  # two analysis threads may be first at once
            if "ndarray" not in self.__dict__:
                self.__dict__.update(vars(importlib.import_module("numpy")))
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module 'numpy' has no attribute {name!r}") from None


np: Any = _LazyNumpy()
