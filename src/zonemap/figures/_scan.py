"""Scanning a normalised text for stated figures: numbers with units, qualifiers and their subjects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..schema import (
    AREA_QUANTITIES,
    FIGURE_COLUMNS,
    QUALIFIERS,
    QUANTITY_CUES,
    VALUE_MULTIPLIERS,
)
from ._names import _CLAUSE_END, _UNIT, _alternation, _bounds, _Names, _names, _segment, _trim
from ._subjects import _UNIT_OF, _fold, _unit_parts
from ._text import normalise

__all__ = [
    "DRAFT_COLUMNS",
    "OTHER_COLUMNS",
    "REVIEW_COLUMNS",
    "Extraction",
    "extract_text",
]


#: Review columns after the registry's own in a draft: what the row is (``area``, ``range_low``,
#: ``range_high``, ``ring``), the subject as the text names it, how well it matched a feature
#: name (1.0 exact, empty when unmatched), the unit as written, and the character offsets (0-based,
#: end exclusive, in the decoded original text) of the figure and of its quote.
REVIEW_COLUMNS = ("kind", "subject_text", "match_score", "unit_as_written", "start", "end", "quote_start", "quote_end")


#: Columns of a draft registry (:attr:`Extraction.figures`).
DRAFT_COLUMNS = (*FIGURE_COLUMNS, *REVIEW_COLUMNS)


#: Columns of the table of numbers that are not area figures (:attr:`Extraction.others`).
OTHER_COLUMNS = ("source", "kind", "value", "unit", "qualifier", "quote", "start", "end")


_BEFORE = [w for w, q in QUALIFIERS.items() if q.placement == "before"]


_AFTER = [w for w, q in QUALIFIERS.items() if q.placement == "after"]


_INNER = [w for w in _AFTER if len(w) == 1]  # 余 / 多: between the digits and 万 or the unit


_NUM = r"[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"


_MULT = _alternation(VALUE_MULTIPLIERS)


#: One number as prose writes it: qualifier, digits (a range or fraction), 余/多, 万/亿, unit, qualifier.
_FIGURE = re.compile(
    rf"(?:(?P<pre>{_alternation(_BEFORE)})(?:为|达|达到)?)?"
    rf"(?<![0-9.,])(?P<num>{_NUM})"
    rf"(?:(?P<unit1>{_UNIT})?(?P<sep>[—–\-~～至到])(?P<num2>{_NUM})|/(?P<den>[0-9]+))?"
    rf"(?P<mid>{_alternation(_INNER)})?(?P<mult>{_MULT})?(?P<mid2>{_alternation(_INNER)})?"
    rf"(?P<unit>{_UNIT})?(?![a-z])"
    rf"(?P<post>{_alternation([w for w in _AFTER if len(w) > 1])})?",
    re.IGNORECASE,
)


_CUES = re.compile(_alternation(QUANTITY_CUES))


#: Sentence ends; clause ends are these and commas (not thousands separators), 、, colons.
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


_RING_WORD = re.compile("圈")


_PART_CUE = "其中"


#: Longest line taken as a heading naming the subject of the paragraph below it.
_HEADING_CHARS = 40


_WHERE_NOTES = {
    "sentence": "subject from the sentence",
    "paragraph": "subject from an earlier sentence",
    "heading": "subject from the heading above",
}


@dataclass
class Extraction:
    """What :func:`extract_files` found.

    Parameters
    ----------
    figures
        The draft registry: columns :data:`DRAFT_COLUMNS`, one row per area figure or ring radius.
    others
        Numbers that are not area figures: columns :data:`OTHER_COLUMNS` (kind ``money``, ``count``,
        ``percent``, ``time``, ``length``, ``floor_area``, ``fraction`` or ``number``).
    encodings
        The encoding each text was read with, by file.
    """

    figures: pd.DataFrame
    others: pd.DataFrame
    encodings: dict[str, str] = field(default_factory=dict)


def _registry_unit(written: str, mult_word: str) -> tuple[str, str, str]:
    """(unit for the registry, value multiplier kept in the value, kind) for a unit and a 万/亿 before it."""
    if mult_word and _fold(mult_word + written) in _UNIT_OF:
        combined = mult_word + written
        code, mult, kind = _unit_parts(combined)
        return (code if mult == 1 else combined), "", kind
    code, mult, kind = _unit_parts(written)
    if kind in ("area", "length"):
        return (code if mult == 1 else written), mult_word, kind
    return written, mult_word, kind


def _subject(
    text: str,
    names: _Names,
    fig_start: int,
    fig_end: int,
    clause: tuple[int, int],
    sentence: tuple[int, int],
    paragraph: tuple[int, int],
) -> tuple[int, str]:
    """(index into names or -1, where found: ``described`` / ``clause`` / ``sentence`` / ``paragraph``)."""
    if not len(names.starts):
        return -1, ""
    after = int(np.searchsorted(names.starts, fig_end))
    if after < len(names.starts):
        gap = text[fig_end : int(names.starts[after])]
        if gap in ("", "的") and names.ends[after] <= clause[1]:
            return after, "described"
    before = int(np.searchsorted(names.ends, fig_start, side="right")) - 1
    if before < 0:
        return -1, ""
    start = int(names.starts[before])
    for where, (a, _) in (("clause", clause), ("sentence", sentence), ("paragraph", paragraph)):
        if start >= a:
            return before, where
    return -1, ""


def extract_text(original: str, source: str = "", *, town: str = "", id_prefix: str | None = None) -> Extraction:
    """Figures of one text.

    Parameters
    ----------
    original
        The text as read (:func:`read_text`).
    source
        Its file name: the ``source`` column.
    town
        Town id of every figure (``""``: left for the planner).
    id_prefix
        Start of each ``figure_id`` (default: ``<town or 'text'>-<source stem>``), numbered ``-001``...

    Returns
    -------
    Extraction
        ``subject`` and ``part_of`` empty (:func:`extract_files` fills them); ``figures`` also holds
        private ``_``-prefixed columns (sentence and clause offsets) that :func:`extract_files` uses.
    """
    nt = normalise(original)
    text = nt.text
    sentences, clauses = _bounds(_SENTENCE_END, text), _bounds(_CLAUSE_END, text)
    paragraphs = _bounds(re.compile(r"\n"), text)
    names = _names(text)
    rows: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for m in _FIGURE.finditer(text):
        g = m.groupdict(default="")
        fig_start = m.start("num") if not g["pre"] else m.start()
        unit_written = g["unit"]
        mult_word = g["mult"]
        qualifier = g["pre"] or g["mid"] or g["mid2"] or g["post"]
        _, clause_a, clause_b = _segment(clauses, m.start("num"))
        clause = _trim(text, clause_a, clause_b)
        unit, kept_mult, kind = _registry_unit(unit_written, mult_word) if unit_written else ("", mult_word, "")
        if g["den"]:
            kind = "fraction"
        elif not unit_written:
            kind = "number"
        elif kind == "time" and unit_written == "年" and re.fullmatch(r"[0-9]{4}", g["num"]):
            kind = "year"
        quantity = "area"
        if kind == "area":
            cues = [c.group() for c in _CUES.finditer(text, clause[0], m.start())]
            quantity = QUANTITY_CUES[cues[-1]] if cues else "area"
            if quantity not in AREA_QUANTITIES:
                kind = quantity
        ringed = kind == "length" and g["num2"] and _RING_WORD.search(text, m.end(), clause[1]) is not None
        if kind not in ("area",) and not ringed:
            if kind == "length" and g["num2"]:
                kind = "length_range"
            a, b = nt.span(m.start(), m.end())
            value = g["num"] + (f"—{g['num2']}" if g["num2"] else "") + (f"/{g['den']}" if g["den"] else "")
            others.append(
                {
                    "source": source,
                    "kind": kind,
                    "value": value + kept_mult,
                    "unit": unit_written,
                    "qualifier": qualifier,
                    "quote": nt.cut(*clause) if clause[1] > clause[0] else "",
                    "start": a,
                    "end": b,
                }
            )
            continue
        _, s_a, s_b = _segment(sentences, m.start("num"))
        _, p_a, p_b = _segment(paragraphs, m.start("num"))
        who, where = _subject(text, names, fig_start, m.end(), clause, (s_a, s_b), (p_a, p_b))
        if who < 0 and p_a > 0:  # a heading line just above: 林村产业基地 / 面积约22平方公里
            _, h_a, h_b = _segment(paragraphs, p_a - 1)
            heading = text[h_a:h_b].strip()
            last = int(np.searchsorted(names.ends, h_b, side="right")) - 1
            if (
                0 < len(heading) <= _HEADING_CHARS
                and not _SENTENCE_END.search(heading)
                and last >= 0
                and names.starts[last] >= h_a
            ):
                who, where = last, "heading"
        subject_text = names.texts[who] if who >= 0 else ""
        q_a, q_b = clause
        if where in ("sentence", "paragraph") and q_a == _trim(text, s_a, s_b)[0]:
            # a heading sentence that is only the subject, just before: the quote starts at it
            _, h_a, h_b = _segment(sentences, int(names.starts[who]))
            h = _trim(text, h_a, h_b)
            if h == (int(names.starts[who]), int(names.ends[who])) and h_b == s_a:
                q_a = h[0]
        quote_a, quote_b = nt.span(q_a, q_b)
        a, b = nt.span(fig_start, m.end())
        base = {
            "town": town,
            "subject": "",
            "qualifier": qualifier,
            "source": source,
            "quote": original[quote_a:quote_b],
            "part_of": "",
            "notes": "",
            "subject_text": subject_text,
            "match_score": np.nan,
            "unit_as_written": nt.cut(
                m.start("mult") if mult_word and not kept_mult else m.start("unit"), m.end("unit")
            ),
            "start": a,
            "end": b,
            "quote_start": quote_a,
            "quote_end": quote_b,
            "_sentence": s_a,
            "_clause": clause[0],
            "_where": where,
            "_part_cue": _PART_CUE in text[clause[0] : m.start()],
        }
        if where in _WHERE_NOTES:
            base["notes"] = _WHERE_NOTES[where]
        if ringed:
            for quantity, value in (("ring_inner_radius", g["num"]), ("ring_outer_radius", g["num2"])):
                rows.append(
                    {
                        **base,
                        "quantity": quantity,
                        "value": value + kept_mult,
                        "unit": unit,
                        "qualifier": "",
                        "kind": "ring",
                    }
                )
        elif g["num2"]:
            low, high = g["num"], g["num2"]
            note = f"range {nt.cut(m.start('num'), m.end())} as written: at least the low, at most the high value"
            note = f"{base['notes']}; {note}" if base["notes"] else note
            rows.append(
                {
                    **base,
                    "quantity": quantity,
                    "value": low + kept_mult,
                    "unit": unit,
                    "qualifier": "不少于",
                    "kind": "range_low",
                    "notes": note,
                }
            )
            rows.append(
                {
                    **base,
                    "quantity": quantity,
                    "value": high + kept_mult,
                    "unit": unit,
                    "qualifier": "不超过",
                    "kind": "range_high",
                    "notes": note,
                }
            )
        else:
            if g["pre"] and (g["post"] or g["mid"] or g["mid2"]):
                two = f"two qualifiers written: {g['pre']} and {g['post'] or g['mid'] or g['mid2']}"
                base["notes"] = f"{base['notes']}; {two}" if base["notes"] else two
            rows.append({**base, "quantity": quantity, "value": g["num"] + kept_mult, "unit": unit, "kind": "area"})
    figures = pd.DataFrame(rows, columns=[*DRAFT_COLUMNS, "_sentence", "_clause", "_where", "_part_cue"])
    prefix = id_prefix if id_prefix is not None else f"{town or 'text'}-{_slug(Path(source).stem) or 'text'}"
    figures["figure_id"] = [f"{prefix}-{n:03d}" for n in range(1, len(figures) + 1)]
    return Extraction(figures, pd.DataFrame(others, columns=list(OTHER_COLUMNS)))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-")
