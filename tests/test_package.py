"""The package surface: public names resolve, configuration is frozen and checked."""

from __future__ import annotations

import dataclasses
import importlib
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


def _import_every_module() -> list[str]:
    root = Path(zonemap.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        importlib.import_module(name)
        names.append(name)
    return names


def test_lazy_names_keep_their_meaning_after_every_module_is_imported() -> None:
    import types

    modules = _import_every_module()
    assert {"zonemap.reconcile", "zonemap.maps", "zonemap.build", "zonemap.figures.extract"} <= set(modules)
    # a family is a module, its function has a name that cannot collide with it
    assert isinstance(zonemap.reconcile, types.ModuleType)
    assert zonemap.reconcile_layer is zonemap.reconcile.reconcile
    for name in zonemap.__all__:
        value = getattr(zonemap, name)
        assert not isinstance(value, types.ModuleType), name
        if name[0].islower():
            assert callable(value), name
        assert name in dir(zonemap), name
    assert {"ConfigError", "Problem", "OutputPathError"} <= set(zonemap.__all__)
    assert issubclass(zonemap.OutputPathError, zonemap.ZonemapError)


def test_public_functions_work_on_the_bundled_geodata() -> None:
    import shapely
    from pyproj import Geod

    _import_every_module()
    cfg = zonemap.default_config()
    project = zonemap.load_project(cfg)
    assert "fenggang" in project.town_ids
    data = zonemap.load_town(cfg, "fenggang")
    zones = data.zones
    # the ellipsoidal area against pyproj's geodesic polygon area on GRS80 (an independent kernel)
    geod = Geod(ellps="GRS80")
    expected = [abs(geod.geometry_area_perimeter(g)[0]) for g in zones.geometry]
    got = zonemap.ellipsoidal_area(zones.geometry)
    assert got == pytest.approx(expected, rel=1e-6)
    with_areas = zonemap.add_area_columns(zones)
    assert with_areas["area_m2"].to_numpy() == pytest.approx(expected, rel=1e-6)
    # reconciliation: one row per area figure of the registry
    from zonemap.schema import AREA_QUANTITIES

    result = zonemap.reconcile_project(project)
    figures = zonemap.load_figures(cfg.geodata_dir / "figures.csv")
    assert len(result.figures) == int(figures["quantity"].isin(AREA_QUANTITIES).sum()) > 0
    # rings and proximity: one row per zone and parcel
    assert zonemap.load_ring_sets(project, "fenggang")
    table = zonemap.proximity_table(project, "fenggang")
    assert len(table) == len(data.zones) + len(data.parcels)
    # Shenzhen outline: the city and its districts
    shenzhen = zonemap.load_shenzhen(cfg)
    assert len(shenzhen) > 1
    # WGS84 passes through unchanged
    point = shapely.Point(113.9, 22.8)
    assert zonemap.to_wgs84(point, "EPSG:4326").equals_exact(point, 1e-12)
    # the map can be built as a folium Map and rendered
    m = zonemap.build_map(zonemap.maps.collect_layers(project, "fenggang"))
    assert "凤岗" in zonemap.render_map(m)
