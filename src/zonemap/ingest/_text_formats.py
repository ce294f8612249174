"""Reading CSV (lon/lat columns, 经度/纬度, or WKT) and DXF (closed polylines, points, block insertions)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import DataFileError, Problem, SchemaError
from ._raw import IMPLIED, NONE, RawData, ReadOptions

log = logging.getLogger(__name__)


_LON = ("lon", "lng", "long", "longitude", "经度", "东经", "x_lon")


_LAT = ("lat", "latitude", "纬度", "北纬", "y_lat")


_X, _Y = ("x", "easting", "东坐标"), ("y", "northing", "北坐标")


_WKT = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "坐标串")


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _read_table(path: Path, opts: ReadOptions) -> pd.DataFrame:
    encoding = opts.encoding or "utf-8-sig"
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path}: not {encoding.removesuffix('-sig').upper()} text at byte {exc.start} "
            "(fix: pass the file's encoding, e.g. --encoding GBK)"
        ) from None
    except LookupError:
        raise DataFileError(f"{path}: unknown encoding {encoding!r} (fix: e.g. --encoding GBK or UTF-8)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(f"{path}: not a readable CSV: {exc} (fix: repair the file)") from None


def _numbers(df: pd.DataFrame, col: str, path: Path, labels: list[str]) -> tuple[np.ndarray, list[Problem]]:
    text = df[col].str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    problems = [
        Problem(
            str(path),
            labels[i],
            f"{col} {text.iat[i]!r} is not a {'number' if np.isnan(values[i]) else 'finite number'}",
            "write plain decimal degrees, e.g. 114.1523",
        )
        for i in np.flatnonzero(~np.isfinite(values)).tolist()
    ]
    return values, problems


def _wkt_geoms(df: pd.DataFrame, col: str, path: Path, labels: list[str]) -> tuple[np.ndarray, list[Problem]]:
    text = df[col].str.strip().to_numpy(dtype=object)
    geoms = shapely.from_wkt(np.array([t or None for t in text], dtype=object), on_invalid="ignore")
    problems = []
    for i in np.flatnonzero(shapely.is_missing(geoms)).tolist():
        try:
            shapely.from_wkt(text[i] or "EMPTY")
            reason = "empty"
        except (shapely.errors.GEOSException, ValueError) as exc:
            reason = str(exc)
        problems.append(
            Problem(
                str(path),
                labels[i],
                f"unreadable WKT in column {col!r}: {reason}",
                "write WKT such as POLYGON ((x1 y1, x2 y2, x3 y3, x1 y1)), first point repeated",
            )
        )
    return np.asarray(geoms, dtype=object), problems


def _find_all(columns: list[str], names: tuple[str, ...]) -> list[str]:
    lower = {c.strip().lower(): c for c in columns}
    return [lower[n] for n in names if n in lower]


def _lonlat_pair(df: pd.DataFrame, path: Path, labels: list[str]) -> tuple[str, str] | None:
    """The lon/lat columns; two pairs (经度/纬度 and lon/lat) must hold the same numbers."""
    cols = list(df.columns)
    lons, lats = _find_all(cols, _LON), _find_all(cols, _LAT)
    if not (lons and lats):
        return None
    pairs = list(zip(lons, lats, strict=False))
    first = pairs[0]
    for other in pairs[1:]:
        a = df[list(first)].apply(lambda c: pd.to_numeric(c.str.strip(), errors="coerce")).to_numpy(dtype=float)
        b = df[list(other)].apply(lambda c: pd.to_numeric(c.str.strip(), errors="coerce")).to_numpy(dtype=float)
        same = np.isclose(a, b, rtol=0, atol=1e-9) | (np.isnan(a) & np.isnan(b))
        differ = np.flatnonzero(~same.all(axis=1)).tolist()
        if differ:
            fix = (
                f"keep one pair of coordinate columns (delete {other[0]!r}/{other[1]!r} or "
                f"{first[0]!r}/{first[1]!r}), or make them agree"
            )
            problems = [
                Problem(
                    str(path),
                    labels[i],
                    f"{first[0]}/{first[1]} = {df[first[0]].iat[i]}, {df[first[1]].iat[i]} but "
                    f"{other[0]}/{other[1]} = {df[other[0]].iat[i]}, {df[other[1]].iat[i]}",
                    fix,
                )
                for i in differ[:100]
            ]
            raise SchemaError(f"{path}: two pairs of coordinate columns disagree in {len(differ)} row(s)", problems)
        log.info("%s: columns %s/%s repeat %s/%s; using %s/%s", path, *other, *first, *first)
    return first


def _read_csv(path: Path, opts: ReadOptions) -> RawData:
    df = _read_table(path, opts)
    cols = list(df.columns)
    labels = [f"row {i + 2}" for i in range(len(df))]  # +2: header line, 1-based
    pair = _lonlat_pair(df, path, labels)
    x, y = _find(cols, _X), _find(cols, _Y)
    wkt = _find(cols, _WKT)
    if pair or (x and y):
        xcol, ycol = pair if pair else (x, y)
        assert xcol is not None and ycol is not None
        xs, p1 = _numbers(df, xcol, path, labels)
        ys, p2 = _numbers(df, ycol, path, labels)
        problems, geoms = p1 + p2, shapely.points(xs, ys)
        used = [xcol, ycol] + (
            [c for c in _find_all(cols, _LON) + _find_all(cols, _LAT) if c not in (xcol, ycol)] if pair else []
        )
    elif wkt:
        geoms, problems = _wkt_geoms(df, wkt, path, labels)
        used = [wkt]
    else:
        raise DataFileError(
            f"{path}: no coordinate columns among {', '.join(cols)} (fix: name them lon and lat "
            f"(or 经度 and 纬度, x and y), or put WKT geometry in a column named wkt)"
        )
    if problems:
        raise SchemaError(f"{path}: {len(problems)} row(s) without usable coordinates", problems)
    lonlat = pair is not None and not wkt
    return RawData(
        attrs=df.drop(columns=used),
        geoms=np.asarray(geoms, dtype=object),
        labels=labels,
        crs=CRS.from_epsg(4326) if lonlat else None,
        crs_source=IMPLIED if lonlat else NONE,
        lonlat_columns=pair if lonlat else None,
    )


def _dxf_geometry(entity: Any) -> shapely.Geometry | None:
    kind = entity.dxftype()
    if kind in ("POINT", "INSERT"):
        loc = entity.dxf.location if kind == "POINT" else entity.dxf.insert
        return shapely.Point(loc.x, loc.y)
    if kind == "LWPOLYLINE" and any(b != 0 for b in entity.get_points("b")):
        from ezdxf import path as dxfpath

        p = dxfpath.make_path(entity)
        extent = max(p.bbox().size.x, p.bbox().size.y) or 1.0
        pts = [(v.x, v.y) for v in p.flattening(distance=extent * 1e-5)]
        log.info("entity %s: arc segments approximated by chords", entity.dxf.handle)
    elif kind == "LWPOLYLINE":
        pts = [tuple(p) for p in entity.get_points("xy")]
    else:
        pts = [(v.x, v.y) for v in entity.points()]
    closed = bool(entity.closed if kind == "LWPOLYLINE" else entity.is_closed)
    if len(pts) >= 3 and (closed or pts[0] == pts[-1]):
        return shapely.Polygon(pts)
    return shapely.LineString(pts) if len(pts) >= 2 else None


def _read_dxf(path: Path, opts: ReadOptions) -> RawData:
    try:
        import ezdxf
    except ImportError:  # pragma: no cover - ezdxf is in the dxf and test extras
        raise DataFileError(f"{path}: reading DXF needs ezdxf (fix: pip install 'zonemap[dxf]')") from None
    try:
        doc = ezdxf.readfile(path, encoding=opts.encoding) if opts.encoding else ezdxf.readfile(path)
    except (OSError, ezdxf.DXFError, UnicodeDecodeError, LookupError) as exc:
        raise DataFileError(f"{path}: cannot read as DXF: {exc} (fix: save it from CAD as ASCII DXF)") from None
    query = "POINT INSERT" if opts.points else "LWPOLYLINE POLYLINE"
    entities = [e for e in doc.modelspace().query(query) if opts.layer_name is None or e.dxf.layer == opts.layer_name]
    if not entities:
        layers = sorted({e.dxf.layer for e in doc.modelspace()})
        what = "POINT or INSERT" if opts.points else "LWPOLYLINE or POLYLINE"
        raise DataFileError(
            f"{path}: no {what} entities"
            + (f" on layer {opts.layer_name!r}" if opts.layer_name else "")
            + f" (fix: draw the features as {what}; CAD layers here: {', '.join(layers)})"
        )
    attrs = pd.DataFrame({"layer": [e.dxf.layer for e in entities], "handle": [e.dxf.handle for e in entities]})
    return RawData(
        attrs=attrs,
        geoms=np.array([_dxf_geometry(e) for e in entities], dtype=object),
        labels=[f"entity #{i} ({e.dxftype()} {e.dxf.handle} on layer {e.dxf.layer})" for i, e in enumerate(entities)],
        crs=None,
        crs_source=NONE,
    )
