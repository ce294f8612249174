"""The layer table drives loading, maps and print: a new layer is one entry in ``schema.LAYERS``."""

from __future__ import annotations

import importlib
import json
import re
import sys
from types import MappingProxyType

import pytest
import shapely
from _handmade import SZ_EDGE_LON, write_geodata

from zonemap import schema
from zonemap.io import write_geojson

#: Modules that read the layer table (imported before patching so their names can be replaced).
READERS = ("zonemap.io", "zonemap.project", "zonemap.layer_checks", "zonemap.validate", "zonemap.maps")
READERS += ("zonemap.printing", "zonemap.ingest", "zonemap.rings")


def _with_layer(monkeypatch: pytest.MonkeyPatch, extra: schema.Layer) -> None:
    for name in READERS:
        importlib.import_module(name)
    layers = MappingProxyType({**schema.LAYERS, extra.name: extra})
    order = tuple(sorted(layers, key=lambda n: ("polygon", "line", "point").index(layers[n].family)))
    original, original_order = schema.LAYERS, schema.DRAW_ORDER
    for module in [m for n, m in sys.modules.items() if n.startswith("zonemap")]:
        if getattr(module, "LAYERS", None) is original:
            monkeypatch.setattr(module, "LAYERS", layers)
        if getattr(module, "DRAW_ORDER", None) is original_order:
            monkeypatch.setattr(module, "DRAW_ORDER", order)


def test_draw_order_puts_areas_under_lines_under_points() -> None:
    families = [schema.LAYERS[name].family for name in schema.DRAW_ORDER]
    assert families == sorted(families, key=("polygon", "line", "point").index)
    assert set(schema.DRAW_ORDER) == set(schema.LAYERS)


def test_a_new_layer_is_loaded_mapped_and_printed_from_its_table_entry(tmp_path, monkeypatch) -> None:
    extra = schema.Layer(
        "greenbelts", frozenset({"Polygon"}), frozenset({"greenbelt"}), None, "绿带", "Greenbelts", 2.0, 0.3
    )
    _with_layer(monkeypatch, extra)
    config = write_geodata(tmp_path / "geodata")
    box = shapely.box(SZ_EDGE_LON + 0.04, 22.60, SZ_EDGE_LON + 0.05, 22.61)
    import geopandas as gpd

    belt = gpd.GeoDataFrame(
        [{"id": "fg-belt-1", "town": "fenggang", "name_zh": "东环绿带", "name_en": "East belt", "kind": "greenbelt"}],
        geometry=[box],
        crs="EPSG:4326",
    ).assign(geometry_source="hand-made test square", accuracy_m=5.0)
    write_geojson(belt, config.geodata_dir / "fenggang" / "greenbelts.geojson")

    from zonemap.maps import collect_layers, render_map
    from zonemap.project import load_project

    project = load_project(config)
    data = project.data("fenggang")
    assert list(data.layer("greenbelts")["id"]) == ["fg-belt-1"]
    assert "fg-belt-1" in set(data.polygons["id"])  # measured and reconciled like any polygon layer

    layers = collect_layers(project, "fenggang")
    page = render_map(layers)
    found = re.search(r'<script type="application/json" id="zonemap-data">(.*?)</script>', page, re.S)
    assert found
    drawn = json.loads(found.group(1))["layers"]
    keys = list(drawn)
    # drawn with the other areas, under lines and points
    assert keys.index("greenbelts") < keys.index("lines") < keys.index("places")
    assert drawn["greenbelts"]["style"]["weight"] == 2.0
    assert drawn["greenbelts"]["style"]["fillOpacity"] == 0.3
    assert json.dumps("绿带 Greenbelts") in page  # its entry in the layer control

    pytest.importorskip("matplotlib")
    from zonemap.printing.legend import subtitle

    assert "绿带" in subtitle(layers)
