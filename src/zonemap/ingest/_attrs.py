"""Attribute mapping behind :mod:`zonemap.ingest` (private): a file's columns -> the feature schema.

The result holds the schema columns (``id``, ``name_zh``, ``name_en``, ``kind``, ``town``,
``geometry_source``, ``accuracy_m`` and, when given, ``parent``, ``status``, ``notes``,
``source``, ``quote``) followed by **every attribute column of the file under its own name**
(地块编号, 用地性质, 面积亩, 权属单位...).

Ids are kept exactly as written (only surrounding spaces are dropped; a number from a numeric
column is written without a trailing ``.0``). The id column is ``--id-column`` or the first
of :data:`zonemap.schema.ID_COLUMNS` present (case-insensitive); a detected column that is
empty throughout (a KML without Placemark ids) is ignored and features are numbered. Empty and
duplicated ids are refused, naming the rows.

A file column named like a schema property fills that property when its values fit the
schema (``status`` values among :data:`zonemap.schema.STATUSES`, ``kind`` among the layer's
kinds, ``town`` equal to the import's town, text for the text properties). When they do not
fit (a ``status`` column of 现状 / 规划, a ``town`` column of 塘厦镇), the file's column is
kept unchanged as ``<name>_src`` (``status_src``) and the schema property is left to its
default; a log line says so. ``accuracy_m`` is zonemap's own column: it always fills the
property and must be a positive number.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import DataFileError, Problem, SchemaError
from ..schema import ID_COLUMNS, LAYERS, OPTIONAL_PROPERTIES, REQUIRED_PROPERTIES, STATUSES
from ._columns import find_column, text_values
from ._raw import RawData

__all__ = [
    "DEFAULT_KINDS",
    "Mapping",
    "check_mojibake",
    "schema_frame",
    "with_ids",
]

log = logging.getLogger(__name__)

#: Layers data can be imported into, and the kind each feature gets by default.
DEFAULT_KINDS = {name: layer.default_kind for name, layer in LAYERS.items() if layer.default_kind is not None}

_NAME_COLUMNS = ("name_zh", "名称", "名字", "地块名称", "项目名称", "name", "mc")
_SCHEMA_NAMES = (*REQUIRED_PROPERTIES, *OPTIONAL_PROPERTIES)
#: Most problems listed per kind of id problem; the rest are counted.
_MAX_LISTED = 100


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _listed(problems: list[Problem], path: Path, what: str) -> list[Problem]:
    if len(problems) <= _MAX_LISTED:
        return problems
    more = len(problems) - _MAX_LISTED
    return [
        *problems[:_MAX_LISTED],
        Problem(str(path), "", f"... and {more} more feature(s) with {what}", problems[0].hint),
    ]


def _ids(
    attrs: pd.DataFrame, column: str | None, given: bool, path: Path, labels: list[str], town: str
) -> tuple[pd.Series, list[Problem]]:
    if column is None:
        stem = _slug(path.stem) or "import"
        width = max(3, len(str(len(attrs))))
        numbers = pd.Series(np.arange(1, len(attrs) + 1)).astype(str).str.zfill(width)
        return (f"{town}-{stem}-" + numbers).astype(object), []
    ids = text_values(attrs[column]).reset_index(drop=True)
    fill = (
        f"fill in {column!r} for every feature, or delete the column to have features numbered"
        if given
        else f"fill in {column!r} for every feature, or name the id column with --id-column"
    )
    empty = np.flatnonzero(ids.to_numpy() == "").tolist()
    problems = _listed(
        [Problem(str(path), labels[i], f"missing id in column {column!r}", fill) for i in empty], path, "no id"
    )
    control = np.flatnonzero(ids.str.contains(r"[\x00-\x1f\x7f]", regex=True).to_numpy()).tolist()
    problems += _listed(
        [
            Problem(
                str(path),
                labels[i],
                f"id {ids.iat[i]!r} in column {column!r} holds control characters",
                "write the id as plain text, e.g. FG-2024-001",
            )
            for i in control
        ],
        path,
        "control characters in the id",
    )
    dup = ids[(ids != "") & ids.duplicated(keep=False)]
    dups = []
    for fid, group in dup.groupby(dup, sort=False):
        where = ", ".join(labels[i] for i in group.index[:20]) + (", ..." if len(group) > 20 else "")
        dups.append(
            Problem(
                str(path),
                f"id {fid}",
                f"id used by {len(group)} features ({where})",
                f"give each feature its own id in {column!r}, or name another column with --id-column",
            )
        )
    return ids, problems + _listed(dups, path, "a shared id")


def _id_column(attrs: pd.DataFrame, wanted: str | None, path: Path) -> str | None:
    col = find_column(attrs, wanted, ID_COLUMNS, path, "--id-column")
    if col is not None and wanted is None and (text_values(attrs[col]) == "").all():
        log.info("%s: column %r is empty throughout; features are numbered", path, col)
        return None
    if col is not None and wanted is None:
        log.info("%s: ids from column %r (pass --id-column to choose another)", path, col)
    return col


def _names(attrs: pd.DataFrame, name_column: str | None, path: Path, ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    col = find_column(attrs, name_column, _NAME_COLUMNS, path, "--name-column")
    zh = text_values(attrs[col]).reset_index(drop=True) if col is not None else pd.Series("", index=ids.index)
    if col is None:
        log.info("%s: no name column (pass --name-column); names are the feature ids", path)
    zh = zh.where(zh != "", ids)
    en_col = find_column(attrs, None, ("name_en",), path, "")
    en = text_values(attrs[en_col]).reset_index(drop=True) if en_col is not None else zh.where(zh.map(str.isascii), ids)
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
    parent: str | None = None
    parent_field: str | None = None


def _present(values: pd.Series) -> np.ndarray:
    return (text_values(values) != "").to_numpy()


def _fits(name: str, values: pd.Series, m: Mapping) -> str | None:
    """Why a file column named like a schema property cannot fill it, or ``None`` when it can."""
    given = values[_present(values)]
    if not len(given):
        return None
    if name == "kind":
        bad = ~given.astype(str).isin(LAYERS[m.layer].kinds)
        return f"values such as {given[bad].iloc[0]!r} are not kinds of {m.layer}" if bad.any() else None
    if name == "town":
        bad = given.astype(str) != m.town
        return f"values such as {given[bad].iloc[0]!r} are not the town id {m.town!r}" if bad.any() else None
    if name == "status":
        bad = ~given.astype(str).isin(STATUSES)
        return (
            f"values such as {given[bad].iloc[0]!r} are not zonemap statuses ({', '.join(sorted(STATUSES))})"
            if bad.any()
            else None
        )
    if REQUIRED_PROPERTIES.get(name, OPTIONAL_PROPERTIES.get(name)) is str:
        kind = pd.api.types.infer_dtype(given, skipna=True)
        return None if kind == "string" else f"it holds {kind} values, not text"
    return None


def _free_name(name: str, taken: set[str]) -> str:
    new, n = f"{name}_src", 2
    while new in taken:
        new, n = f"{name}_src{n}", n + 1
    return new


def _json_ready(col: pd.Series) -> pd.Series:
    """A kept attribute as values JSON can hold: dates and times as ISO text, other objects as text."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype) or isinstance(col.dtype, pd.PeriodDtype):
        return col.astype(str).where(col.notna(), None)
    if pd.api.types.is_timedelta64_dtype(col.dtype):
        return col.astype(str).where(col.notna(), None)
    if col.dtype == object:
        kind = pd.api.types.infer_dtype(col, skipna=True)
        if kind in ("date", "datetime", "time", "bytes", "decimal", "mixed", "period", "interval"):
            return col.map(
                lambda v: (
                    None
                    if v is None or (isinstance(v, float) and np.isnan(v))
                    else v
                    if isinstance(v, str | int | float | bool | dict | list)
                    else v.isoformat()
                    if hasattr(v, "isoformat")
                    else str(v)
                )
            )
    return col


def _parents(attrs: pd.DataFrame, m: Mapping, path: Path, n: int) -> pd.Series | None:
    if m.parent is not None and m.parent_field is not None:
        raise SchemaError(f"{path}: both --parent and --parent-field given (fix: pass one of them)")
    if m.parent is not None:
        if not m.parent.strip():
            raise SchemaError(f"{path}: --parent is empty (fix: give the id of the zone the features lie in)")
        return pd.Series(m.parent.strip(), index=range(n), dtype=object)
    if m.parent_field is not None:
        col = find_column(attrs, m.parent_field, (), path, "--parent-field")
        assert col is not None
        text = text_values(attrs[col]).reset_index(drop=True).astype(object)
        return text.where(text != "", None)
    return None


def schema_frame(raw: RawData, m: Mapping, path: Path, crs_label: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Map the file's attributes to the feature schema, keeping every original column (geometry from ``raw``).

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
        The schema columns, then the file's own columns; and the id and ``accuracy_m`` problems.
    """
    attrs = raw.attrs.reset_index(drop=True)
    id_col = _id_column(attrs, m.id_column, path)
    ids, problems = _ids(attrs, id_col, m.id_column is not None, path, raw.labels, m.town)
    name_zh, name_en = _names(attrs, m.name_column, path, ids)
    frame = pd.DataFrame(
        {
            "id": ids,
            "name_zh": name_zh,
            "name_en": name_en,
            "kind": m.kind or DEFAULT_KINDS[m.layer],
            "town": m.town,
            "geometry_source": f"imported from {path.name} ({crs_label})",
            "accuracy_m": m.accuracy_m,
        },
        index=range(len(attrs)),
    )
    kept: dict[str, str] = {}  # file column -> its name in the result
    for col in attrs.columns:
        name = str(col)
        if name not in _SCHEMA_NAMES or col == id_col or name in ("name_en", "geometry_source", "accuracy_m"):
            continue
        if name == "name_zh" and m.name_column in (None, col):
            continue
        if name in ("id", "name_zh"):  # the file's own column, not the one --id-column / --name-column chose
            why: str | None = f"--{'id' if name == 'id' else 'name'}-column names another column"
        elif name == "kind" and m.kind:
            why = "--kind was given"
        else:
            why = _fits(name, attrs[col], m)
        if name == "parent" and (m.parent is not None or m.parent_field is not None):
            why = "--parent or --parent-field was given"
        if why is None:
            given = attrs[col].astype(object)
            frame[name] = given.where(_present(given), frame.get(name))
            continue
        kept[name] = _free_name(name, {str(c) for c in attrs.columns} | set(kept.values()))
        log.warning(
            "%s: column %r does not fit the schema property %r (%s); kept unchanged as %r",
            path,
            name,
            name,
            why,
            kept[name],
        )
    if "geometry_source" in attrs.columns:  # keep the file's own provenance, then say how it came in
        before = text_values(attrs["geometry_source"])
        frame["geometry_source"] = before.where(before == "", before + "; ") + frame["geometry_source"]
    if "accuracy_m" in attrs.columns:
        given = attrs["accuracy_m"].astype(object)
        frame["accuracy_m"] = given.where(_present(given), m.accuracy_m)
    parents = _parents(attrs, m, path, len(attrs))
    if parents is not None:
        frame["parent"] = parents
    accuracy, found = _accuracy(frame["accuracy_m"], with_ids(raw.labels, ids), path)
    frame["accuracy_m"] = accuracy
    problems += found
    frame = _with_originals(frame, attrs, kept, {id_col} if id_col in _SCHEMA_NAMES else set())
    return gpd.GeoDataFrame(frame, geometry=list(raw.geoms), crs="EPSG:4326"), problems


def _with_originals(frame: pd.DataFrame, attrs: pd.DataFrame, kept: dict[str, str], used: set[Any]) -> pd.DataFrame:
    """The schema columns, then every file column under its own name (or ``<name>_src`` when it did not fit)."""
    extra = {}
    for col in attrs.columns:
        name = str(col)
        if name in kept:
            extra[kept[name]] = _json_ready(attrs[col])
        elif name not in _SCHEMA_NAMES and col not in used and name != "geometry":
            extra[name] = _json_ready(attrs[col])
    if not extra:
        return frame
    return pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)


def _accuracy(values: pd.Series, labels: list[str], path: Path) -> tuple[pd.Series, list[Problem]]:
    """``accuracy_m`` as floats; problems for values that are not positive finite numbers."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numeric = pd.Series(True, index=values.index)
    else:
        numeric = values.map(lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_))
    as_float = pd.to_numeric(values.where(numeric), errors="coerce").to_numpy(dtype=float)
    bad = ~numeric.to_numpy() | ~np.isfinite(as_float)
    problems = [
        Problem(
            str(path),
            labels[i],
            f"accuracy_m must be a number, got {values.iat[i]!r}",
            "write accuracy_m as a number of metres, e.g. 10",
        )
        for i in np.flatnonzero(bad).tolist()
    ]
    low = ~bad & (as_float <= 0)
    problems += [
        Problem(
            str(path),
            labels[i],
            f"accuracy_m must be positive, got {values.iat[i]!r}",
            "give an honest estimate in metres",
        )
        for i in np.flatnonzero(low).tolist()
    ]
    out = pd.Series(as_float, index=values.index).where(~bad, None) if bad.any() else pd.Series(as_float)
    return out, _listed(problems, path, "a bad accuracy_m")


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
        if pd.api.types.is_numeric_dtype(raw.attrs[col].dtype):
            continue
        for value in raw.attrs[col].dropna().astype(str).head(50):
            if not value.isascii() and value.isprintable() and _gbk_as_latin1(value):
                raise DataFileError(
                    f"{path}: column {col!r} reads as {value!r}: Chinese text decoded with the wrong encoding "
                    "(fix: pass --encoding GBK, or add a .cpg file containing GBK next to the .shp)"
                )


def _gbk_as_latin1(value: str) -> bool:
    try:
        fixed = value.encode("latin-1").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in fixed)
