"""Attribute mapping behind :mod:`zonemap.ingest` (private): a file's columns -> the feature schema."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._ingest_read import RawData
from .errors import DataFileError, Problem, SchemaError
from .schema import OPTIONAL_PROPERTIES

__all__ = ["DEFAULT_KINDS", "Mapping", "check_mojibake", "relabel", "schema_frame", "with_ids"]

log = logging.getLogger(__name__)

#: Layers data can be imported into, and the kind each feature gets by default.
DEFAULT_KINDS = {"zones": "zone", "parcels": "parcel", "places": "landmark"}

_NAME_COLUMNS = ("name_zh", "名称", "名字", "地块名称", "项目名称", "name", "mc")
_SCHEMA_COLUMNS = ("name_en", "kind", "accuracy_m", *OPTIONAL_PROPERTIES)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _column(attrs: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], path: Path,
            option: str) -> str | None:
    if wanted is not None:
        if wanted not in attrs.columns:
            raise SchemaError(f"{path}: no column {wanted!r} (fix: {option} one of: "
                              f"{', '.join(map(str, attrs.columns)) or '(the file has no attribute columns)'})")
        return wanted
    lower = {str(c).strip().lower(): c for c in attrs.columns}
    return next((lower[c] for c in candidates if c in lower), None)


def _text(values: pd.Series) -> pd.Series:
    """Cell values as stripped text, ``""`` for missing; integral floats without ``.0``."""
    def one(v: Any) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()
    return values.map(one)


def _ids(attrs: pd.DataFrame, column: str | None, path: Path, labels: list[str],
         town: str) -> tuple[pd.Series, list[Problem]]:
    if column is None:
        stem = _slug(path.stem) or "import"
        return pd.Series([f"{town}-{stem}-{i + 1:03d}" for i in range(len(attrs))], dtype=object), []
    ids = _text(attrs[column]).map(lambda s: re.sub(r"\s+", "-", s.lower()))
    problems = [Problem(str(path), labels[i], f"missing id in column {column!r}",
                        f"fill in {column!r} for every feature, or leave out --id-column to number features")
                for i in np.flatnonzero(ids.to_numpy() == "").tolist()]
    dup = ids[(ids != "") & ids.duplicated(keep=False)]
    for fid, group in dup.groupby(dup):
        where = ", ".join(labels[i] for i in group.index)
        problems.append(Problem(str(path), f"id {fid}", f"id used by {len(group)} features ({where})",
                                "give each feature its own id, or leave out --id-column to number features"))
    return ids.reset_index(drop=True), problems


def _names(attrs: pd.DataFrame, name_column: str | None, path: Path, ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    col = _column(attrs, name_column, _NAME_COLUMNS, path, "--name-column")
    zh = _text(attrs[col]).reset_index(drop=True) if col is not None else pd.Series([""] * len(ids), dtype=object)
    if col is None:
        log.info("%s: no name column (pass --name-column); names are the feature ids", path)
    zh = zh.where(zh != "", ids)
    en_col = _column(attrs, None, ("name_en",), path, "")
    en = _text(attrs[en_col]).reset_index(drop=True) if en_col is not None else zh.where(zh.map(str.isascii), ids)
    return zh, en.where(en != "", ids)


@dataclass(frozen=True)
class Mapping:
    """How a file's columns become schema properties (the import options that matter here)."""

    layer: str
    town: str
    kind: str | None
    accuracy_m: float
    id_column: str | None
    name_column: str | None


def schema_frame(raw: RawData, m: Mapping, path: Path, crs_label: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Map the file's attributes to the feature schema (geometry taken from ``raw``).

    Parameters
    ----------
    raw
        The features as read.
    m
        Target layer, town, defaults and chosen columns.
    path
        The input file (its name goes into ``geometry_source``).
    crs_label
        The coordinate system the data was read in.

    Returns
    -------
    tuple of (GeoDataFrame, list of Problem)
        The schema columns (values a file gives win over defaults) and id problems.
    """
    attrs = raw.attrs.reset_index(drop=True)
    id_col = _column(attrs, m.id_column, ("id",), path, "--id-column")
    ids, problems = _ids(attrs, id_col, path, raw.labels, m.town)
    name_zh, name_en = _names(attrs, m.name_column, path, ids)
    frame = pd.DataFrame({
        "id": ids, "name_zh": name_zh, "name_en": name_en,
        "kind": m.kind or DEFAULT_KINDS[m.layer], "town": m.town,
        "geometry_source": f"imported from {path.name} ({crs_label})", "accuracy_m": m.accuracy_m,
    })
    for col in _SCHEMA_COLUMNS:
        if col not in attrs.columns or (col == "kind" and m.kind):
            continue
        given = attrs[col].astype(object)
        present = given.notna() & (given.astype(str).str.strip() != "")
        frame[col] = given.where(present, frame.get(col))
    if "geometry_source" in attrs.columns:  # keep the file's own provenance, then say how it came in
        before = _text(attrs["geometry_source"])
        frame["geometry_source"] = before.where(before == "", before + "; ") + frame["geometry_source"]
    frame["accuracy_m"] = frame["accuracy_m"].map(_number)
    return gpd.GeoDataFrame(frame, geometry=list(raw.geoms), crs="EPSG:4326"), problems


def _number(value: Any) -> Any:
    """Numbers as Python floats (JSON-ready); anything else unchanged, for the validator to report."""
    return float(value) if isinstance(value, int | float | np.number) and not isinstance(value, bool) else value


def relabel(problems: list[Problem], labels: list[str]) -> list[Problem]:
    """Name features the way the input does (``row 5``, ``entity #2 ...``) in validator problems."""
    out = []
    for p in problems:
        m = re.match(r"feature #(\d+)(.*)", p.feature)
        feature = labels[int(m.group(1))] + m.group(2) if m and int(m.group(1)) < len(labels) else p.feature
        out.append(Problem(p.file, feature, p.message, p.hint))
    return out


def with_ids(labels: list[str], ids: pd.Series) -> list[str]:
    """Feature labels with their ids: ``row 5 (id fg-a)``."""
    return [f"{label} (id {fid})" if fid else label for label, fid in zip(labels, ids, strict=True)]


def check_mojibake(raw: RawData, path: Path) -> None:
    """Refuse GBK text that was decoded as Latin-1 (a Shapefile without ``.cpg``).

    Raises
    ------
    DataFileError
        Naming the column, the garbled text and the ``--encoding`` that fixes it.
    """
    for col in raw.attrs.columns:
        for value in raw.attrs[col].dropna().astype(str).head(50):
            if not value.isascii() and value.isprintable() and _gbk_as_latin1(value):
                raise DataFileError(
                    f"{path}: column {col!r} reads as {value!r}: Chinese text decoded with the wrong encoding "
                    "(fix: pass --encoding GBK, or add a .cpg file containing GBK next to the .shp)")


def _gbk_as_latin1(value: str) -> bool:
    try:
        fixed = value.encode("latin-1").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in fixed)


