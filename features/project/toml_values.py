"""Values spelt the way `ruff check --config "KEY = VALUE"` reads them: TOML, on one line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def toml_value(value: Any) -> str:
    """`true`, `100`, `"double"`, `["a", "b"]`, `{"tests/*" = ["S101"]}`.

    A JSON string is a valid TOML basic string (same escapes), which is why strings go through
    `json.dumps`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        pairs = (f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML spelling for {value!r}")


def setting(key: str, value: Any) -> str:
    """One `--config` override: `lint.isort.known-first-party = ["piptools"]`."""
    return f"{key} = {toml_value(value)}"
