"""A planner's own parcel layer for 塘厦镇, built by the tests in real file formats.

Parcels are rectangles in EPSG:4526 (CGCS2000 3-degree Gauss–Krüger, zone 38, central
meridian 114°E) near Tangxia. Their stated 面积亩 is the GeographicLib (ellipsoidal) area of
the polygon rounded to 0.01 mu, except TX-2024-003, stated 2 % too large: three parcels
agree, one disagrees. Everything is computed here, independently of zonemap.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from _geo import GEOD
from pyproj import Transformer

MU_M2 = 10000 / 15
TANGXIA = (114.10, 22.79)
IDS = ("TX-2024-001", "TX-2024-002", "TX-2024-003", "地块-004")
NAMES = ("东区一号地块", "东区二号地块", "厂房用地", "白地")
USES = ("M1 一类工业", "M1 一类工业", "M2 二类工业", "W1 物流仓储")
WRONG = "TX-2024-003"  # stated 2 % too large


def _gk_boxes() -> list[shapely.Polygon]:
    to_gk = Transformer.from_crs(4326, 4526, always_xy=True)
    x0, y0 = to_gk.transform(*TANGXIA)
    return [shapely.box(x0 + 400 * i, y0, x0 + 400 * i + 250 + 30 * i, y0 + 200 + 10 * i) for i in range(len(IDS))]


def parcels_lonlat() -> gpd.GeoDataFrame:
    """The parcels in WGS84 lon/lat with GeographicLib areas (``geo_area_m2``) and stated 面积亩."""
    gk = gpd.GeoSeries(_gk_boxes(), crs=4526)
    lonlat = gk.to_crs(4326)
    area = np.array([abs(GEOD.geometry_area_perimeter(g)[0]) for g in lonlat])
    stated = np.round(area / MU_M2, 2)
    stated[IDS.index(WRONG)] = np.round(area[IDS.index(WRONG)] * 1.02 / MU_M2, 2)
    return gpd.GeoDataFrame(
        {"地块编号": IDS, "地块名称": NAMES, "用地性质": USES, "面积亩": stated, "geo_area_m2": area},
        geometry=lonlat.values,
        crs=4326,
    )


def expected_status() -> dict[str, str]:
    """Agrees where the stated mu is the rounded true area, disagrees for the planted error."""
    return {i: ("disagrees" if i == WRONG else "agrees") for i in IDS}


def write_shapefile_gbk(folder: Path) -> Path:
    """A GBK Shapefile in EPSG:4526 without a .cpg (as many Chinese GIS exports are)."""
    folder.mkdir(parents=True, exist_ok=True)
    gdf = parcels_lonlat().drop(columns="geo_area_m2").to_crs(4526)
    path = folder / "parcels.shp"
    gdf.to_file(path, encoding="GBK")
    folder.joinpath("parcels.cpg").unlink(missing_ok=True)
    return path


def write_formats(folder: Path) -> dict[str, Path]:
    """The same parcels as GPKG, GeoParquet, KML (no ids), CSV with WKT and GeoJSON."""
    folder.mkdir(parents=True, exist_ok=True)
    gdf = parcels_lonlat().drop(columns="geo_area_m2")
    out = {}
    out["gpkg"] = folder / "parcels.gpkg"
    gdf.to_crs(4526).to_file(out["gpkg"], driver="GPKG")
    out["parquet"] = folder / "parcels.parquet"
    gdf.to_crs(4526).to_parquet(out["parquet"])
    out["kml"] = folder / "parcels.kml"
    gdf[["地块名称", "面积亩", "geometry"]].rename(columns={"地块名称": "Name"}).to_file(out["kml"], driver="KML")
    out["csv"] = folder / "parcels.csv"
    table = gdf.drop(columns="geometry").assign(wkt=shapely.to_wkt(gdf.geometry.values, rounding_precision=12))
    table.to_csv(out["csv"], index=False, encoding="utf-8")
    out["geojson"] = folder / "parcels.geojson"
    gdf.to_file(out["geojson"], driver="GeoJSON")
    return out
