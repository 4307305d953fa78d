"""Shared fixtures: ngspice availability, temporary cache, data directory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def _have_ngspice() -> bool:
    return shutil.which(os.environ.get("NGSPICE", "ngspice")) is not None


def pytest_collection_modifyitems(config, items):
    if _have_ngspice():
        return
    skip = pytest.mark.skip(reason="ngspice not installed (make setup installs it)")
    for item in items:
        if "ngspice" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("NEUROCIRCUIT_CACHE", str(d))
    return d


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data when present (skips the test otherwise)."""
    d = Path(os.environ.get("NEUROCIRCUIT_DATA", SHARED_DATA))
    if not d.exists():
        pytest.skip(f"dataset directory {d} not present")
    return d
