"""Fixtures: the sample catalog of 示例县 and its search index (loaded once per session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.catalog import Catalog, load_catalog
from kiosk.catalog.search import SearchIndex

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "catalog"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(SAMPLE)


@pytest.fixture(scope="session")
def index(catalog: Catalog) -> SearchIndex:
    return SearchIndex(catalog)


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample catalog, to break in a test."""
    target = tmp_path / "catalog"
    shutil.copytree(SAMPLE, target)
    return target


def by_name(catalog: Catalog, name: str):
    return next(i for i in catalog.items if i.name == name)
