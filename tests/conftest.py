"""Shared fixtures, built from paths relative to this file. Outputs go under tmp_path only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zonemap.config import REFERENCE_ENV, Config

REPO = Path(__file__).resolve().parents[1]
GEODATA = REPO / "geodata"
SEEDS = REPO.parent / "shared" / "seeds"
FENGGANG_SEED = SEEDS / "000_a3adabc37e0e158e.txt"
DONGCHENG_SEED = SEEDS / "003_829ae458d4134e17.txt"


def _reference_dir() -> Path | None:
    env = os.environ.get(REFERENCE_ENV)
    candidate = Path(env) if env else REPO.parent / "shared" / "reference"
    return candidate if (candidate / "dongguan_towns.geojson").is_file() else None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def geodata_dir() -> Path:
    return GEODATA


@pytest.fixture(scope="session")
def config() -> Config:
    """The bundled geodata, without reference layers."""
    return Config(geodata_dir=GEODATA)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The reference-layer directory; tests needing it are skipped where it is absent (CI has it)."""
    ref = _reference_dir()
    if ref is None:
        pytest.skip(f"reference layers not found (set {REFERENCE_ENV}); CI provides them")
    return ref


@pytest.fixture(scope="session")
def reference_config(reference_dir: Path) -> Config:
    """The bundled geodata with the reference layers."""
    return Config(geodata_dir=GEODATA, reference_dir=reference_dir)


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """The two source interviews keyed by file name (read-only, from ../shared/seeds)."""
    return {p.name: p.read_text(encoding="utf-8") for p in (FENGGANG_SEED, DONGCHENG_SEED) if p.is_file()}


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """One headless Debian Chromium for the session (playwright drives it; no downloaded browser)."""
    from _browser import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: install the Debian package `chromium` (CI installs it in .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
