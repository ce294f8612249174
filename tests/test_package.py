"""The package surface: public names resolve, configuration is frozen and checked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

import zonemap
from zonemap.cli import main
from zonemap.config import REFERENCE_ENV, default_config
from zonemap.errors import CheckFailed, ConfigError, MissingFileError, SchemaError, ZonemapError


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
    with pytest.raises(ConfigError, match="约 tolerance must be in"):
        cfg.evolve(about_rel_tol=1.5)
    with pytest.raises(ConfigError, match="reference_accuracy_m"):
        cfg.evolve(reference_accuracy_m=float("nan"))
    monkeypatch.setenv(REFERENCE_ENV, str(tmp_path / "absent"))
    with pytest.raises(MissingFileError, match="reference directory not found"):
        default_config(tmp_path)
    with pytest.raises(MissingFileError, match="geodata directory not found"):
        default_config(tmp_path / "nope")


def test_out_of_range_option_exits_2_without_traceback() -> None:
    res = CliRunner().invoke(main, ["reconcile", "--about-tol", "1.5"])
    assert res.exit_code == 2
    assert "--about-tol 0.05" in res.output and "Traceback" not in res.output


def test_import_layers_have_default_kinds() -> None:
    from zonemap.ingest import DEFAULT_KINDS
    from zonemap.schema import IMPORT_LAYERS, LAYERS

    assert set(DEFAULT_KINDS) == set(IMPORT_LAYERS)
    assert all(DEFAULT_KINDS[layer] in LAYERS[layer].kinds for layer in IMPORT_LAYERS)
