"""GeoJSON too big to hold as text: a streaming pre-scan (CRS member, non-finite numbers, numeric ids) then GDAL."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from ..errors import DataFileError
from ._raw import NONE, RawData

log = logging.getLogger(__name__)


@dataclass
class _Scan:
    """What the streaming pre-scan of a GeoJSON found."""

    suspect: str | None = None
    features_at: int | None = None
    crs_at: list[int] = field(default_factory=list)
    n_feature_words: int = 0
    n_properties_words: int = 0
    numeric_id: bool = False


def _gdal_geojson(path: Path, scan: _Scan, *, final: bool) -> RawData | None:
    """Read a pre-scanned GeoJSON through GDAL (Arrow).

    Returns ``None`` when the exact path must decide; with ``final`` (the file is too large for
    it) problems are raised here instead, and features without a readable geometry are kept as
    missing for the geometry checks to name.
    """
    import pyogrio

    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            meta, table = pyogrio.read_arrow(
                path, DATE_AS_STRING="YES", ARRAY_AS_STRING="YES", return_fids=scan.numeric_id
            )
    except Exception as exc:  # malformed JSON, not GeoJSON: the exact path names the problem
        if final:
            raise DataFileError(
                f"{path}: cannot read as GeoJSON: {exc} (fix: repair the file; a JSON linter shows the spot)"
            ) from None
        return None
    if said and not final:  # e.g. "Non closed ring detected": the exact path names the feature
        log.debug("%s: GDAL: %s", path, "; ".join(str(w.message) for w in said))
        return None
    counts = {table.num_rows, scan.n_feature_words, scan.n_properties_words - len(scan.crs_at)}  # crs has one too
    if len(counts) > 1 or table.num_rows == 0:
        if not final:  # members GDAL skipped (a "type" other than "Feature"), a property value "Feature"...
            return None
        raise DataFileError(
            f'{path}: GDAL read {table.num_rows} feature(s) where the file names "Feature" '
            f'{scan.n_feature_words} and "properties" {scan.n_properties_words} time(s) (fix: make '
            'every member of "features" a {"type": "Feature", "properties": ..., "geometry": ...} '
            "object)"
        )
    geom_col = meta["geometry_name"] or "wkb_geometry"
    wkb = table.column(geom_col).to_numpy(zero_copy_only=False)
    table = table.drop_columns([geom_col])
    fids = meta.get("fid_column") or "OGC_FID"
    if scan.numeric_id and fids in table.column_names:
        if "id" in table.column_names:  # the ids are in the properties; GDAL's FIDs are only its numbering
            table = table.drop_columns([fids])
        else:  # each Feature's own integer "id" member, as the exact path reads it
            table = table.rename_columns(["id" if c == fids else c for c in table.column_names])
    geoms = np.asarray(shapely.from_wkb(wkb, on_invalid="ignore"), dtype=object)
    if shapely.is_missing(geoms).any() and not final:
        return None  # unreadable or null geometries: the exact path says which and why
    del wkb
    attrs = table.to_pandas(split_blocks=True, self_destruct=True)
    return RawData(
        attrs=attrs, geoms=geoms, labels=[f"feature #{i}" for i in range(len(geoms))], crs=None, crs_source=NONE
    )
