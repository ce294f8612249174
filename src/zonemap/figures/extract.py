"""Stated figures from planning texts: a draft registry read from Chinese prose.

:func:`extract_files` reads interviews, work reports and plans (UTF-8, or GBK/GB18030 detected
strictly) and returns one row per area or land figure in the registry's own columns
(:data:`zonemap.schema.FIGURE_COLUMNS`) plus review columns (:data:`REVIEW_COLUMNS`), for a planner
to check, fill in and append to ``figures.csv``.

How a text is read:

- **Normalised copy, verbatim quotes.** Matching runs on a copy with pinyin glosses removed
  (``質(zhì)`` -> ``質``), every character NFKC-folded (full-width digits and punctuation, ``㎡``)
  and traditional characters converted to simplified (OpenCC ``t2s``). Each character of the copy
  remembers the span of the original it came from (:class:`NormalText`), so every ``quote`` is cut
  from the original file: traditional characters and glosses included.
- **Numbers** as planners write them: ``6.7``, ``245.98``, ``12,000``, ``1.2万``, a qualifier of
  :data:`zonemap.schema.QUALIFIERS` before (``约``, ``超过``...) or after (``以上``, ``余``, ``多``...),
  ranges ``30—50亩`` / ``0.5—1km``, a unit of :data:`zonemap.schema.UNIT_FORMS` (``万平方米`` read
  as one unit). ``value`` keeps the digits as written (the registry's precision rule).
- **Kinds.** An area unit makes an area figure; its quantity comes from the nearest cue word of
  :data:`zonemap.schema.QUANTITY_CUES` before it in the clause (default ``area``). A length range
  followed by ``圈`` in its clause gives a ring's inner and outer radius rows; an area range two
  rows (``不少于`` the low, ``不超过`` the high value). Money, counts, percentages, years, other
  lengths and floor areas (:data:`zonemap.schema.NON_AREA_UNITS`) are never area figures: they are
  the ``others`` table, with their kind.
- **Quote**: the clause stating the figure (split at ``。；！？``, ``，`` and ``、``); when the
  subject is a heading sentence just before it (``东部电子信息高端装备产业区。面积约6.7平方公里``),
  the quote starts at the subject.
- **Subject**: a named place or zone (a run of characters ending in a place word such as 产业区,
  园区, 项目, 用地, 片区, 板块), first the one the figure describes (``占地703亩的洪木涧连片产业用地``),
  else the nearest before it in the clause, the sentence, earlier sentences of the paragraph, then a
  heading line just above the paragraph, as ``subject_text``. With layers (:func:`read_gazetteer`), it
  is matched to a feature id by ``name_zh``: exactly, else with difflib's ratio (``match_score``) of at
  least :data:`MATCH_CUTOFF`.
- **Part of**: a figure of another quantity (new industrial land, vacant land, land area) is guessed
  to be part of a larger ``area`` figure of the same subject (``可新增产业用地1946亩`` of the 2780-亩
  park), and any figure part of a larger one earlier in its sentence when its clause says ``其中``
  (``其中林村板块9.1平方公里`` of 22 km²).

The extractor is rules and regular expressions over the whole text (no model): the work per text
is a handful of regex scans, and per figure a binary search into the clause and subject positions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import MissingFileError
from ..io import write_csv
from ._scan import DRAFT_COLUMNS, OTHER_COLUMNS, REVIEW_COLUMNS, Extraction, extract_text
from ._subjects import MATCH_CUTOFF, _guess_parts, match_subjects, read_gazetteer
from ._text import NormalText, normalise, read_text

__all__ = [
    "DRAFT_COLUMNS",
    "MATCH_CUTOFF",
    "OTHER_COLUMNS",
    "REVIEW_COLUMNS",
    "Extraction",
    "NormalText",
    "extract_files",
    "extract_text",
    "match_subjects",
    "normalise",
    "read_gazetteer",
    "read_text",
    "summary_lines",
    "write_extraction",
]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- reading files


# --------------------------------------------------------------------------- normalising


# --------------------------------------------------------------------------- patterns


# --------------------------------------------------------------------------- extraction


# --------------------------------------------------------------------------- subjects and parts


def extract_files(
    paths: Sequence[Path | str],
    *,
    town: str = "",
    layers: Sequence[Path | str] = (),
    encoding: str | None = None,
) -> Extraction:
    """Draft registry rows from planning texts.

    Parameters
    ----------
    paths
        Text files (UTF-8, or GBK/GB18030 detected; see :func:`read_text`).
    town
        Town id of every figure (``""``: left for the planner to fill in).
    layers
        GeoJSON layers whose ``name_zh`` subjects are matched to (``subject``, ``match_score``).
    encoding
        Read every text with this encoding instead of detecting.

    Returns
    -------
    Extraction
        ``figures`` in :data:`DRAFT_COLUMNS`, ``others`` in :data:`OTHER_COLUMNS`, and the encodings.

    Raises
    ------
    MissingFileError, DataFileError, SchemaError
        For a missing or unreadable text or layer (file and fix named).
    """
    if not paths:
        raise MissingFileError("no text given (fix: name one or more text files)")
    gazetteer = read_gazetteer(layers) if layers else pd.DataFrame(columns=["id", "name_zh", "layer", "key"])
    parts: list[Extraction] = []
    encodings: dict[str, str] = {}
    for raw in paths:
        text, used = read_text(raw, encoding)
        encodings[str(raw)] = used
        got = extract_text(text, Path(raw).name, town=town)
        got.figures["_text"] = len(parts)
        parts.append(got)
    figures = pd.concat([p.figures for p in parts], ignore_index=True)
    others = pd.concat([p.others for p in parts], ignore_index=True)
    if figures["figure_id"].duplicated().any():  # two texts with the same stem
        figures["figure_id"] = figures["figure_id"] + "-" + figures["_text"].astype(str)
    matched = match_subjects(figures["subject_text"], gazetteer)
    figures["subject"] = matched["subject"]
    figures["match_score"] = matched["match_score"]
    _guess_parts(figures)
    log.info("%d figure(s), %d other number(s) from %d text(s)", len(figures), len(others), len(paths))
    return Extraction(figures[list(DRAFT_COLUMNS)].reset_index(drop=True), others, encodings)


def write_extraction(extraction: Extraction, out: Path | str, others_out: Path | str | None = None) -> list[Path]:
    """Write the draft registry (and the other numbers) as CSV, UTF-8 with BOM, atomically.

    Parameters
    ----------
    extraction
        From :func:`extract_files`.
    out
        The draft registry.
    others_out
        The table of numbers that are not area figures, when wanted.

    Returns
    -------
    list of Path
        The files written. Text cells that a spreadsheet would run as formulas are neutralised.
    """
    draft = extraction.figures.copy()
    draft["match_score"] = draft["match_score"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    written = [write_csv(draft, out)]
    if others_out is not None:
        written.append(write_csv(extraction.others, others_out))
    return written


def summary_lines(extraction: Extraction) -> list[str]:
    """What a draft holds, for the terminal: counts by kind and quantity, subjects matched."""
    f = extraction.figures
    kinds = f.groupby("quantity").size().to_dict() if len(f) else {}
    lines = [f"{len(f)} figure row(s): " + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "none")]
    if len(f):
        n_subj = int((f["subject"] != "").sum())
        n_text = int((f["subject_text"] != "").sum())
        lines.append(
            f"subjects: {n_text} named in the text, {n_subj} matched to a feature id; "
            f"{int((f['part_of'] != '').sum())} part_of guessed"
        )
    if len(extraction.others):
        counts = extraction.others.groupby("kind").size().to_dict()
        lines.append(
            f"{len(extraction.others)} other number(s) (not areas): "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
    return lines
