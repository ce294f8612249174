"""Regenerate the bad-input corpus in this directory: ``python tests/data/bad/make_corpus.py``.

Every file is tiny and wrong in exactly one way; ``expected.json`` names, for each, the command
that reads it and the message fragments that must come out. The coordinates are invented test
squares around Fenggang (~114.1 E, 22.7 N); nothing here is an official boundary. Files too big
to commit (a huge file, deeply nested JSON) are made by tests/test_badinput.py under tmp_path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from pyproj import Transformer

HERE = Path(__file__).resolve().parent

SQUARE = [[114.10, 22.70], [114.11, 22.70], [114.11, 22.71], [114.10, 22.71], [114.10, 22.70]]


def props(fid: str = "fg-test-a", **extra: Any) -> dict[str, Any]:
    base = {
        "id": fid,
        "name_zh": "测试区",
        "name_en": "Test zone",
        "kind": "zone",
        "town": "fenggang",
        "geometry_source": "invented test square",
        "accuracy_m": 10,
    }
    return {**base, **extra}


def feature(properties: dict[str, Any], coords: Any = None, gtype: str = "Polygon") -> dict[str, Any]:
    geometry = {"type": gtype, "coordinates": [SQUARE] if coords is None else coords}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def fc(*features: dict[str, Any]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False, indent=1)


def shifted(dx: float) -> list[list[list[float]]]:
    return [[[x + dx, y] for x, y in SQUARE]]


def geojson_files() -> dict[str, str]:
    no_id = props("fg-test-b")
    del no_id["id"]
    to_4547 = Transformer.from_crs(4326, 4547, always_xy=True)
    return {
        "zones.accuracy_text.geojson": fc(feature(props(accuracy_m="10 m"))),
        "zones.missing_id.geojson": fc(feature(props()), feature(no_id, shifted(0.02))),
        "zones.duplicate_ids.geojson": fc(feature(props()), feature(props(), shifted(0.02))),
        "zones.empty_geometry.geojson": fc(feature(props(), [])),
        "zones.name_number.geojson": fc(feature(props(name_zh=42))),
        "swapped.geojson": fc(feature(props(), [[[y, x] for x, y in SQUARE]])),
        "projected.geojson": fc(feature(props(), [[list(to_4547.transform(x, y)) for x, y in SQUARE]])),
        "outside_china.geojson": fc(feature(props(), [[[x - 111.75, y + 26.15] for x, y in SQUARE]])),
        "bowtie.geojson": fc(feature(props(), [[SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3], SQUARE[0]]])),
        "unclosed.geojson": fc(feature(props(), [SQUARE[:-1]])),
        "point_in_zones.geojson": fc(feature(props(), [114.1, 22.7], "Point")),
        "not_features.geojson": fc({"type": "Polygon", "coordinates": [SQUARE]}),
        "good.geojson": fc(feature(props())),
        "not_geojson.json": json.dumps([1, 2, 3]),
        "malformed.geojson": '{"type": "FeatureCollection", "features": [\n {"type": "Feature",\n'
        '  "properties": {"id": "fg-test-a"}\n  "geometry": null}\n]}\n',
    }


def text_files() -> dict[str, str]:
    header = "figure_id,town,subject,quantity,value,unit,qualifier,source,quote,part_of,notes\n"
    return {
        "figures_unknown_unit.csv": header + "fg-area,fenggang,fg-zone-east,area,6.7,acre,约,seed,约6.7,,\n",
        "figures_non_numeric.csv": header + "fg-area,fenggang,fg-zone-east,area,about 6.7,km2,约,seed,约6.7,,\n",
        "no_coords.csv": "id,名称\np1,甲\n",
        "bad_lon.csv": "id,lon,lat\np1,114.1,22.7\np2,abc,22.7\n",
        "bad_wkt.csv": 'id,wkt\np1,"POLYGON ((114.1 22.7, 114.11 22.7"\n',
        "notes.txt": "not geodata\n",
        "broken.dxf": "0\nSECTION\n2\nENTITIES\n0\nLWPOLYLINE\n",
        "broken.kml": "<kml><Document><Placemark><Polygon>",
    }


def binary_files() -> dict[str, bytes]:
    gbk_json = fc(feature(props(name_zh="凤岗测试区"))).encode("gbk")
    return {"gbk.geojson": gbk_json, "gbk.csv": "id,lon,lat,名称\np1,114.1,22.7,凤岗\n".encode("gbk")}


def shapefiles() -> None:
    """A Shapefile with no .prj (Gauss-Krüger zone 38 metres) and a GBK one with no .cpg."""
    to_4526 = Transformer.from_crs(4326, 4526, always_xy=True)
    square = shapely.Polygon([to_4526.transform(x, y) for x, y in SQUARE])
    gpd.GeoDataFrame({"id": ["fg-test-a"]}, geometry=[square], crs=None).to_file(HERE / "noprj.shp")
    frame = gpd.GeoDataFrame({"id": ["fg-test-a"], "名称": ["凤岗测试区"]}, geometry=[square], crs=4526)
    frame.to_file(HERE / "gbk_nocpg.shp", encoding="GBK")
    (HERE / "gbk_nocpg.cpg").unlink()


def main() -> None:
    for name, text in {**geojson_files(), **text_files()}.items():
        (HERE / name).write_text(text, encoding="utf-8")
    for name, data in binary_files().items():
        (HERE / name).write_bytes(data)
    shapefiles()


if __name__ == "__main__":
    main()
