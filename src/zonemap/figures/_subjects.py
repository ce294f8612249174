"""Matching stated figures to subjects: the gazetteer of named places and the part-whole guesses."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..errors import SchemaError
from ..io import read_json
from ..schema import (
    AREA_QUANTITIES,
    AREA_UNITS_M2,
    NON_AREA_UNITS,
    UNIT_FORMS,
    VALUE_MULTIPLIERS,
)
from ._text import normalise

__all__ = ["MATCH_CUTOFF", "match_subjects", "read_gazetteer"]


#: Lowest difflib ratio at which a subject is matched to a feature name.
MATCH_CUTOFF = 0.6


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold()


_UNIT_OF = {_fold(w): (f.code, f.multiplier) for w, f in UNIT_FORMS.items()}


_NON_AREA = {_fold(w): kind for w, kind in NON_AREA_UNITS.items()}


def _unit_parts(written: str) -> tuple[str, int, str]:
    """(code, multiplier, kind) of a unit as written; kind ``area`` / ``length`` / a non-area kind / ``""``."""
    key = _fold(written)
    if key in _UNIT_OF:
        code, mult = _UNIT_OF[key]
        return code, mult, "area" if code in AREA_UNITS_M2 else "length"
    return "", 1, _NON_AREA.get(key, "")


def read_gazetteer(paths: Sequence[Path | str]) -> pd.DataFrame:
    """Feature ids and Chinese names of GeoJSON layers, for :func:`match_subjects`.

    Parameters
    ----------
    paths
        GeoJSON layers whose features have ``id`` and ``name_zh`` properties.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``name_zh``, ``layer`` (file), ``key`` (a name form matched on: the name,
        the name without its parenthesis, the parenthesis' content; normalised like texts), one
        row per id and form.

    Raises
    ------
    SchemaError
        If a layer is not a FeatureCollection or a feature lacks ``id`` or ``name_zh``.
    """
    rows: list[tuple[str, str, str, str]] = []
    for raw in paths:
        path = Path(raw)
        data = read_json(path)
        feats = data.get("features") if isinstance(data, dict) else None
        if not isinstance(feats, list):
            raise SchemaError(
                f"{path}: not a GeoJSON FeatureCollection (fix: give a layer file such as parcels.geojson)"
            )
        for n, feat in enumerate(feats, start=1):
            props = feat.get("properties") if isinstance(feat, dict) else None
            fid = props.get("id") if isinstance(props, dict) else None
            name = props.get("name_zh") if isinstance(props, dict) else None
            if not isinstance(fid, str) or not isinstance(name, str) or not fid or not name:
                raise SchemaError(
                    f"{path}: feature #{n} has no text 'id' and 'name_zh' (fix: subjects are "
                    "matched by name_zh to id; import the layer with zonemap import first)"
                )
            norm = normalise(name).text
            forms = {norm, re.sub(r"\([^()]*\)", "", norm).strip(), *re.findall(r"\(([^()]*)\)", norm)}
            rows += [(fid, name, path.name, f) for f in forms if f]
    return pd.DataFrame(rows, columns=["id", "name_zh", "layer", "key"])


def match_subjects(subject_texts: pd.Series, gazetteer: pd.DataFrame, cutoff: float = MATCH_CUTOFF) -> pd.DataFrame:
    """Feature ids for subjects as texts name them: exact name first, then the closest by difflib ratio.

    Parameters
    ----------
    subject_texts
        Subjects as written (``金凤凰现代产业园区``), normalised or not.
    gazetteer
        From :func:`read_gazetteer`.
    cutoff
        Lowest ratio accepted.

    Returns
    -------
    pandas.DataFrame
        Same index; ``subject`` (feature id, ``""`` when none is close enough) and ``match_score``
        (1.0 exact, the ratio otherwise, NaN when unmatched). Each distinct text is matched once.
    """
    out = pd.DataFrame({"subject": "", "match_score": np.nan}, index=subject_texts.index)
    if gazetteer.empty or subject_texts.empty:
        return out
    exact = dict(zip(gazetteer["key"], gazetteer["id"], strict=True))
    keys = list(dict.fromkeys(gazetteer["key"]))
    found: dict[str, tuple[str, float]] = {}
    for written in subject_texts[subject_texts != ""].unique():
        norm = normalise(str(written)).text
        if norm in exact:
            found[written] = (exact[norm], 1.0)
            continue
        matcher = difflib.SequenceMatcher(a=norm, autojunk=False)
        best, score = "", 0.0
        for key in keys:
            matcher.set_seq2(key)
            if matcher.real_quick_ratio() >= max(cutoff, score) and matcher.quick_ratio() >= max(cutoff, score):
                r = matcher.ratio()
                if r > score:
                    best, score = key, r
        if best and score >= cutoff:
            found[written] = (exact[best], round(score, 3))
    hit = subject_texts.map(lambda s: found.get(s, ("", np.nan)))
    out["subject"] = [h[0] for h in hit]
    out["match_score"] = [h[1] for h in hit]
    return out


def _stated_m2(figures: pd.DataFrame) -> NDArray[np.float64]:
    def factor(unit: str) -> float:
        code, mult, _ = _unit_parts(unit)
        return float(AREA_UNITS_M2.get(code, Fraction(0))) * mult if code else np.nan

    codes, uniques = pd.factorize(figures["unit"])
    unit_m2 = np.asarray([factor(u) for u in uniques] or [np.nan], dtype=float)[codes]
    digits = figures["value"].str.replace(",", "", regex=False)
    mult = np.ones(len(figures))
    for word, m in VALUE_MULTIPLIERS.items():
        mult[digits.str.endswith(word).to_numpy()] = m
    nums = pd.to_numeric(digits.str.rstrip("".join(VALUE_MULTIPLIERS)), errors="coerce").to_numpy(dtype=float)
    return nums * mult * unit_m2


def _subject_groups(figures: pd.DataFrame) -> NDArray[np.int64]:
    """A group number per figure: the same matched feature id, else subject texts with a difflib ratio >= 0.8.

    Distinct subject texts are compared pairwise (a text names tens of places, not thousands); -1 for
    figures without a subject.
    """
    texts = pd.Series([normalise(t).text if t else "" for t in figures["subject_text"]], index=figures.index)
    keys = figures["subject"].where(figures["subject"] != "", "\0" + texts).where(texts != "", "")
    distinct = [k for k in keys.unique() if k]
    parent = list(range(len(distinct)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    plain = [(i, k[1:]) for i, k in enumerate(distinct) if k.startswith("\0")]
    for n, (i, a) in enumerate(plain):
        matcher = difflib.SequenceMatcher(a=a, autojunk=False)
        for j, b in plain[n + 1 :]:
            matcher.set_seq2(b)
            if matcher.real_quick_ratio() >= 0.8 and matcher.ratio() >= 0.8:
                parent[root(j)] = root(i)
    group = {k: root(i) for i, k in enumerate(distinct)}
    return keys.map(lambda k: group.get(k, -1)).to_numpy(dtype=np.int64)


def _guess_parts(figures: pd.DataFrame) -> None:
    """Fill ``part_of`` (and a note) where a figure lies inside a larger one's subject or sentence.

    Candidates are compared within small groups only (one sentence; one subject of one text), so
    the work grows with the figures, not their square.
    """
    if figures.empty:
        return
    stated = _stated_m2(figures)
    quantity = figures["quantity"].to_numpy(dtype=object)
    is_area = np.isin(quantity, list(AREA_QUANTITIES))
    whole = is_area & np.isin(quantity, ["area", "land_area"]) & figures["kind"].eq("area").to_numpy()
    pos = figures["start"].to_numpy()
    cue = figures["_part_cue"].to_numpy(dtype=bool)
    ids = figures["figure_id"].to_numpy(dtype=object)
    part_of = figures["part_of"].to_numpy(dtype=object).copy()
    notes = figures["notes"].to_numpy(dtype=object).copy()
    figures["_group"] = _subject_groups(figures)
    rules = (
        # 其中: any figure, inside a larger whole stated earlier in its sentence
        (["_text", "_sentence"], cue & is_area, whole, True, "其中 after it in the sentence"),
        # a part quantity (new industrial land, vacant land...) of its subject's stated area
        (
            ["_text", "_group"],
            is_area & (quantity != "area") & (figures["_group"].to_numpy() >= 0),
            whole & (quantity == "area"),
            False,
            "same subject",
        ),
    )
    for keys, is_part, is_whole, only_earlier, reason in rules:
        for idx in figures.groupby(keys, sort=False).indices.values():
            if len(idx) < 2:
                continue
            for i in idx[is_part[idx] & (part_of[idx] == "")].tolist():
                cand = idx[is_whole[idx] & (stated[idx] > stated[i]) & (idx != i)]
                if only_earlier:
                    cand = cand[pos[cand] < pos[i]]
                if not len(cand):
                    continue
                j = int(cand[np.argmin(np.abs(pos[cand] - pos[i]))])
                part_of[i] = ids[j]
                note = f"part_of guessed ({reason})"
                notes[i] = f"{notes[i]}; {note}" if notes[i] else note
    figures["part_of"] = part_of
    figures["notes"] = notes
