"""Shared test set-up: the Ruff version in the report header, e2e tests collected last."""

from __future__ import annotations

import pytest

from surefix.features.ruff.run import ruff_version


def pytest_report_header(config: pytest.Config) -> str:
    return f"ruff {ruff_version()}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: "/e2e/" in str(item.fspath) or "/editors/" in str(item.fspath))
