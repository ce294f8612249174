"""The package surface: public names resolve, configuration is frozen and checked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import zonemap
from zonemap.config import REFERENCE_ENV, default_config
from zonemap.errors import CheckFailed, MissingFileError, SchemaError, ZonemapError


def test_every_public_name_resolves() -> None:
    missing = [name for name in zonemap.__all__ if getattr(zonemap, name, None) is None]
    assert missing == []
    with pytest.raises(AttributeError):
        _ = zonemap.no_such_name  # type: ignore[attr-defined]


def test_errors_subclass_the_matching_builtin() -> None:
    assert issubclass(SchemaError, ValueError) and issubclass(SchemaError, ZonemapError)
    assert issubclass(MissingFileError, FileNotFoundError)
    assert SchemaError("x").exit_code == 2 and CheckFailed("x").exit_code == 1


def test_config_is_frozen_and_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REFERENCE_ENV, raising=False)
    cfg = default_config(tmp_path)
    assert cfg.reference_dir is None and cfg.reference_towns is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.about_rel_tol = 0.5  # type: ignore[misc]
    assert cfg.evolve(about_rel_tol=0.1).about_rel_tol == 0.1
    with pytest.raises(ValueError, match="about_rel_tol"):
        cfg.evolve(about_rel_tol=1.5)
    monkeypatch.setenv(REFERENCE_ENV, str(tmp_path / "absent"))
    with pytest.raises(MissingFileError, match="reference directory not found"):
        default_config(tmp_path)
    with pytest.raises(MissingFileError, match="geodata directory not found"):
        default_config(tmp_path / "nope")
