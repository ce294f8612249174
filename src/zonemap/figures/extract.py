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

import codecs
import difflib
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..errors import DataFileError, MissingFileError, SchemaError
from ..io import read_json, write_csv
from ..schema import (
    AREA_QUANTITIES,
    AREA_UNITS_M2,
    FIGURE_COLUMNS,
    NON_AREA_UNITS,
    QUALIFIERS,
    QUANTITY_CUES,
    UNIT_FORMS,
    VALUE_MULTIPLIERS,
)

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

#: Review columns after the registry's own in a draft: what the row is (``area``, ``range_low``,
#: ``range_high``, ``ring``), the subject as the text names it, how well it matched a feature
#: name (1.0 exact, empty when unmatched), the unit as written, and the character offsets (0-based,
#: end exclusive, in the decoded original text) of the figure and of its quote.
REVIEW_COLUMNS = ("kind", "subject_text", "match_score", "unit_as_written", "start", "end",
                  "quote_start", "quote_end")

#: Columns of a draft registry (:attr:`Extraction.figures`).
DRAFT_COLUMNS = (*FIGURE_COLUMNS, *REVIEW_COLUMNS)

#: Columns of the table of numbers that are not area figures (:attr:`Extraction.others`).
OTHER_COLUMNS = ("source", "kind", "value", "unit", "qualifier", "quote", "start", "end")

#: Lowest difflib ratio at which a subject is matched to a feature name.
MATCH_CUTOFF = 0.6

# --------------------------------------------------------------------------- reading files

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
#: A pinyin gloss after a Chinese character: ``(zhì)``, ``（fā）``, ``(zhi4)``.
_GLOSS = re.compile(
    rf"(?<=[\u3400-\u9fff])[(（](?:(?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,7}}|[a-zü]{{1,6}}[1-5])[)）]"
)


def _odd_character(text: str) -> int | None:
    return next((i for i, ch in enumerate(text) if unicodedata.category(ch) in ("Co", "Cn")), None)


def read_text(path: Path | str, encoding: str | None = None) -> tuple[str, str]:
    """Read a text file as UTF-8, or as GBK/GB18030 when it is not UTF-8; both strictly.

    Parameters
    ----------
    path
        The text.
    encoding
        Read with this encoding instead of detecting (``big5`` for a Hong Kong file).

    Returns
    -------
    tuple of (str, str)
        The text (a UTF-8 byte-order mark dropped, line ends as in the file) and the encoding used.

    Raises
    ------
    MissingFileError
        If there is no such file.
    DataFileError
        If it is empty, binary, UTF-16, or neither UTF-8 nor a GBK text of Chinese, saying how to fix it.
    """
    p = Path(path)
    if not p.is_file():
        raise MissingFileError(f"{p}: text not found (fix: check the path)")
    data = p.read_bytes()
    if encoding is not None:
        try:
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except LookupError:
            raise DataFileError(f"{p}: unknown encoding {encoding!r} (fix: --encoding utf-8, gbk or big5)") from None
        except UnicodeDecodeError as exc:
            raise DataFileError(f"{p}: byte {exc.start} (0x{data[exc.start]:02x}) is not {encoding} "
                                "(fix: give the file's real encoding, or leave --encoding out to detect it)") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataFileError(f"{p}: the text is UTF-16 (fix: save it as UTF-8 from the editor)")
    if not data.strip():
        raise DataFileError(f"{p}: the text is empty (fix: give the file holding the planning text)")
    if b"\x00" in data:
        raise DataFileError(f"{p}: holds NUL bytes at byte {data.index(0)}: a binary file, not a text "
                            "(fix: save the document as plain text, UTF-8)")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{p}: neither UTF-8 (byte {utf8_error.start}: 0x{data[utf8_error.start]:02x}) nor GBK/GB18030 "
            f"(byte {exc.start}: 0x{data[exc.start]:02x}) (fix: save the text as UTF-8, or give --encoding)"
        ) from None
    odd = _odd_character(text)
    cjk = re.findall(r"[\u3400-\u9fff]", text)
    common = sum(1 for ch in cjk if _in_gb2312(ch))
    if odd is not None or (cjk and common < 0.9 * len(cjk)):
        why = (f"an unassigned or private-use character at character {odd}" if odd is not None
               else f"only {common} of its {len(cjk)} Chinese characters are common ones (GB2312)")
        raise DataFileError(f"{p}: not UTF-8 (byte {utf8_error.start}), and read as GBK it holds {why}: the "
                            "encoding is likely another one, e.g. Big5 (fix: save the text as UTF-8, or give "
                            "--encoding big5)")
    log.info("%s: read as GBK/GB18030 (not UTF-8)", p)
    return text, "gb18030"


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


# --------------------------------------------------------------------------- normalising


@dataclass(frozen=True)
class NormalText:
    """A text's normalised copy and, for each of its characters, the span of the original it came from.

    Parameters
    ----------
    original
        The text as read.
    text
        The copy matched on: glosses removed, NFKC-folded, traditional -> simplified.
    starts, ends
        For character ``i`` of ``text``: ``original[starts[i]:ends[i]]`` is what it came from.
    """

    original: str
    text: str
    starts: NDArray[np.int64]
    ends: NDArray[np.int64]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]`` (``end > start``), glosses inside it included."""
        return int(self.starts[start]), int(self.ends[end - 1])

    def cut(self, start: int, end: int) -> str:
        """``text[start:end]`` as the original writes it."""
        a, b = self.span(start, end)
        return self.original[a:b]


_CONVERTER: Any = None


def _t2s(text: str) -> str:
    global _CONVERTER
    if _CONVERTER is None:
        import opencc

        _CONVERTER = opencc.OpenCC("t2s.json")
    return str(_CONVERTER.convert(text))


def _true_runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) of each run of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def normalise(original: str) -> NormalText:
    """The copy of a text that figures are matched on, with its offset map.

    Parameters
    ----------
    original
        The text as read.

    Returns
    -------
    NormalText
        Pinyin glosses after characters removed, each character NFKC-folded (a character may
        fold into several: ``㎡`` -> ``m2``), traditional converted to simplified with OpenCC
        (phrase-aware for the whole text; character by character where that would change the
        length, so the offset map holds).
    """
    keep = np.ones(len(original), dtype=bool)
    for m in _GLOSS.finditer(original):
        keep[m.start():m.end()] = False
    # NFKC per distinct character (a text has a few thousand), applied with str.translate; the offset
    # map repeats each kept original position once per character it folds into
    codes = np.frombuffer(original.encode("utf-32-le"), dtype=np.uint32)
    distinct, inverse = np.unique(codes, return_inverse=True)
    folds = [unicodedata.normalize("NFKC", chr(c)) if c > 0x7F else chr(c) for c in distinct.tolist()]
    lengths = np.asarray([len(f) for f in folds], dtype=np.int64)[inverse] * keep
    table = {int(c): f for c, f in zip(distinct.tolist(), folds, strict=True) if f != chr(c)}
    kept = original if keep.all() else "".join(original[a:b] for a, b in _true_runs(keep))
    folded_text = kept.translate(table)
    start_arr = np.repeat(np.arange(len(original), dtype=np.int64), lengths)
    simplified = _t2s(folded_text)
    if len(simplified) != len(folded_text):
        log.debug("OpenCC changed the text's length: converting character by character")
        chars = [_t2s(c) for c in folded_text]
        simplified = "".join(s if len(s) == 1 else c for s, c in zip(chars, folded_text, strict=True))
    return NormalText(original, simplified, start_arr, start_arr + 1)


# --------------------------------------------------------------------------- patterns


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold()


_UNIT_OF = {_fold(w): (f.code, f.multiplier) for w, f in UNIT_FORMS.items()}
_NON_AREA = {_fold(w): kind for w, kind in NON_AREA_UNITS.items()}
_BEFORE = [w for w, q in QUALIFIERS.items() if q.placement == "before"]
_AFTER = [w for w, q in QUALIFIERS.items() if q.placement == "after"]
_INNER = [w for w in _AFTER if len(w) == 1]  # 余 / 多: between the digits and 万 or the unit
_NUM = r"[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
_UNIT = _alternation([*_UNIT_OF, *_NON_AREA])
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
_CLAUSE_END = re.compile(r"[。！？!?；;\n、:：]|,(?![0-9]{3}(?![0-9]))|(?<![0-9]),")

#: Words ending a place name (longest first when matched).
_PLACE_WORDS = (
    "产业集聚区", "集聚区", "产业区", "产业园区", "园区", "产业园", "科技园", "工业园", "文创园", "片区", "板块",
    "用地", "地块", "项目", "基地", "中心", "新城", "智谷", "数码城", "小镇", "组团", "示范区", "实验区",
    "先行区", "核心区", "承载区", "功能区", "开发区", "保税区", "商圈", "公园", "大厦", "街道", "社区", "镇", "区",
    "站",
)
#: Words that cannot be part of a name: a name starts after them (verbs, particles, connectives).
_NAME_BREAKS = (
    "的", "在", "以", "为", "和", "与", "及", "等", "将", "对", "把", "被", "从", "向", "于", "是", "有", "并",
    "即", "其中", "依托", "推动", "推进", "实施", "重点", "抓好", "打造", "建设", "加快", "引进", "规划", "谋划",
    "构建", "拥有", "占地", "位于", "包括", "目前", "下来", "已", "可", "新增", "预计", "计划", "通过", "开展",
    "完成", "启动", "形成", "整合", "发挥", "落户", "纳入", "全市", "全镇", "一批", "一个", "两个", "三个",
    "盘活", "改造", "整治", "招引", "发展", "培育", "引入", "带动", "塑造", "拓展", "提升", "配合", "聚焦", "围绕",
    "争取", "方式",
)
#: A name starting with one of these is a description, not a name (现代化产业园区项目, 低效用地).
_GENERIC_STARTS = (
    "现代化", "现代", "产业", "新兴", "战略性", "低效", "连片", "城中村", "首期", "市级", "省级", "国家级",
    "重大", "专项", "工业", "制造业", "集中", "综合", "一期", "二期", "该", "开发", "标准",
)
#: Names may start with digits or letters (33文创园), not continue with them (常平站1公里 is no name).
_NAME = re.compile(
    rf"[0-9A-Za-z]*(?:[\u3400-\u9fff]|—(?=[\u3400-\u9fff])){{0,24}}(?:{_alternation(_PLACE_WORDS)})"
)
_RUN = re.compile(r"[0-9A-Za-z]*[\u3400-\u9fff](?:[\u3400-\u9fff]|—(?=[\u3400-\u9fff]))*")
_BREAK = re.compile(_alternation(_NAME_BREAKS))
_UNIT_AT = re.compile(_UNIT, re.IGNORECASE)
_PARENS = re.compile(r"\([^()\n]*\)")
_RING_WORD = re.compile("圈")
_PART_CUE = "其中"
#: Longest line taken as a heading naming the subject of the paragraph below it.
_HEADING_CHARS = 40
_WHERE_NOTES = {"sentence": "subject from the sentence", "paragraph": "subject from an earlier sentence",
                "heading": "subject from the heading above"}


@dataclass
class _Names:
    """Named places of a normalised text: spans, sorted by start."""

    starts: NDArray[np.int64]
    ends: NDArray[np.int64]
    texts: list[str]


def _names(text: str) -> _Names:
    """Place names: within each run of name characters, the pieces between break words, cut at their last place word."""
    inside = np.zeros(len(text) + 1, dtype=bool)
    for m in _PARENS.finditer(text):
        inside[m.start():m.end()] = True
    found: list[tuple[int, int, str]] = []
    for run in _RUN.finditer(text):
        base, s = run.start(), run.group()
        cuts = [0, *(x for m in _BREAK.finditer(s) for x in (m.start(), m.end())), len(s)]
        for a, b in zip(cuts[::2], cuts[1::2], strict=True):
            hit = _NAME.match(s, a, b)
            if hit is None:
                continue
            name = hit.group()
            lead = len(name) - len(name.lstrip("0123456789"))
            if (len(name) < 3 or name in _PLACE_WORDS or name.startswith(_GENERIC_STARTS) or inside[base + a]
                    or (lead and _UNIT_AT.match(name, lead) is not None)):  # 1公里范围...: a number, no name
                continue
            found.append((base + a, base + hit.end(), name))
    return _Names(np.asarray([f[0] for f in found], dtype=np.int64), np.asarray([f[1] for f in found], dtype=np.int64),
                  [f[2] for f in found])


def _bounds(pattern: re.Pattern[str], text: str) -> NDArray[np.int64]:
    """Start offsets of the segments ``pattern`` splits ``text`` into (segment ``k`` is ``[b[k], b[k+1])``)."""
    return np.asarray([0, *(m.end() for m in pattern.finditer(text)), len(text)], dtype=np.int64)


def _segment(bounds: NDArray[np.int64], pos: int) -> tuple[int, int, int]:
    k = int(np.searchsorted(bounds, pos, side="right")) - 1
    return k, int(bounds[k]), int(bounds[k + 1])


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    """A segment without its separator and surrounding spaces."""
    while b > a and (text[b - 1].isspace() or _CLAUSE_END.match(text, b - 1)):
        b -= 1
    while a < b and text[a].isspace():
        a += 1
    return a, b


# --------------------------------------------------------------------------- extraction


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


def _unit_parts(written: str) -> tuple[str, int, str]:
    """(code, multiplier, kind) of a unit as written; kind ``area`` / ``length`` / a non-area kind / ``""``."""
    key = _fold(written)
    if key in _UNIT_OF:
        code, mult = _UNIT_OF[key]
        return code, mult, "area" if code in AREA_UNITS_M2 else "length"
    return "", 1, _NON_AREA.get(key, "")


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


def _subject(text: str, names: _Names, fig_start: int, fig_end: int, clause: tuple[int, int],
             sentence: tuple[int, int], paragraph: tuple[int, int]) -> tuple[int, str]:
    """(index into names or -1, where found: ``described`` / ``clause`` / ``sentence`` / ``paragraph``)."""
    if not len(names.starts):
        return -1, ""
    after = int(np.searchsorted(names.starts, fig_end))
    if after < len(names.starts):
        gap = text[fig_end:int(names.starts[after])]
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
            others.append({"source": source, "kind": kind, "value": value + kept_mult, "unit": unit_written,
                           "qualifier": qualifier, "quote": nt.cut(*clause) if clause[1] > clause[0] else "",
                           "start": a, "end": b})
            continue
        _, s_a, s_b = _segment(sentences, m.start("num"))
        _, p_a, p_b = _segment(paragraphs, m.start("num"))
        who, where = _subject(text, names, fig_start, m.end(), clause, (s_a, s_b), (p_a, p_b))
        if who < 0 and p_a > 0:  # a heading line just above: 林村产业基地 / 面积约22平方公里
            _, h_a, h_b = _segment(paragraphs, p_a - 1)
            heading = text[h_a:h_b].strip()
            last = int(np.searchsorted(names.ends, h_b, side="right")) - 1
            if (0 < len(heading) <= _HEADING_CHARS and not _SENTENCE_END.search(heading) and last >= 0
                    and names.starts[last] >= h_a):
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
        base = {"town": town, "subject": "", "qualifier": qualifier, "source": source,
                "quote": original[quote_a:quote_b], "part_of": "", "notes": "", "subject_text": subject_text,
                "match_score": np.nan, "unit_as_written": nt.cut(m.start("mult") if mult_word and not kept_mult
                                                                 else m.start("unit"), m.end("unit")),
                "start": a, "end": b, "quote_start": quote_a, "quote_end": quote_b,
                "_sentence": s_a, "_clause": clause[0], "_where": where, "_part_cue": _PART_CUE in
                text[clause[0]:m.start()]}
        if where in _WHERE_NOTES:
            base["notes"] = _WHERE_NOTES[where]
        if ringed:
            for quantity, value in (("ring_inner_radius", g["num"]), ("ring_outer_radius", g["num2"])):
                rows.append({**base, "quantity": quantity, "value": value + kept_mult, "unit": unit,
                             "qualifier": "", "kind": "ring"})
        elif g["num2"]:
            low, high = g["num"], g["num2"]
            note = f"range {nt.cut(m.start('num'), m.end())} as written: at least the low, at most the high value"
            note = f"{base['notes']}; {note}" if base["notes"] else note
            rows.append({**base, "quantity": quantity, "value": low + kept_mult, "unit": unit, "qualifier": "不少于",
                         "kind": "range_low", "notes": note})
            rows.append({**base, "quantity": quantity, "value": high + kept_mult, "unit": unit, "qualifier": "不超过",
                         "kind": "range_high", "notes": note})
        else:
            if g["pre"] and (g["post"] or g["mid"] or g["mid2"]):
                two = f"two qualifiers written: {g['pre']} and {g['post'] or g['mid'] or g['mid2']}"
                base["notes"] = f"{base['notes']}; {two}" if base["notes"] else two
            rows.append({**base, "quantity": quantity, "value": g["num"] + kept_mult, "unit": unit,
                         "kind": "area"})
    figures = pd.DataFrame(rows, columns=[*DRAFT_COLUMNS, "_sentence", "_clause", "_where", "_part_cue"])
    prefix = id_prefix if id_prefix is not None else f"{town or 'text'}-{_slug(Path(source).stem) or 'text'}"
    figures["figure_id"] = [f"{prefix}-{n:03d}" for n in range(1, len(figures) + 1)]
    return Extraction(figures, pd.DataFrame(others, columns=list(OTHER_COLUMNS)))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-")


# --------------------------------------------------------------------------- subjects and parts


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
            raise SchemaError(f"{path}: not a GeoJSON FeatureCollection (fix: give a layer file such as "
                              "parcels.geojson)")
        for n, feat in enumerate(feats, start=1):
            props = feat.get("properties") if isinstance(feat, dict) else None
            fid = props.get("id") if isinstance(props, dict) else None
            name = props.get("name_zh") if isinstance(props, dict) else None
            if not isinstance(fid, str) or not isinstance(name, str) or not fid or not name:
                raise SchemaError(f"{path}: feature #{n} has no text 'id' and 'name_zh' (fix: subjects are "
                                  "matched by name_zh to id; import the layer with zonemap import first)")
            norm = normalise(name).text
            forms = {norm, re.sub(r"\([^()]*\)", "", norm).strip(), *re.findall(r"\(([^()]*)\)", norm)}
            rows += [(fid, name, path.name, f) for f in forms if f]
    return pd.DataFrame(rows, columns=["id", "name_zh", "layer", "key"])


def match_subjects(subject_texts: pd.Series, gazetteer: pd.DataFrame,
                   cutoff: float = MATCH_CUTOFF) -> pd.DataFrame:
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
        for j, b in plain[n + 1:]:
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
        (["_text", "_group"], is_area & (quantity != "area") & (figures["_group"].to_numpy() >= 0),
         whole & (quantity == "area"), False, "same subject"),
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
        lines.append(f"subjects: {n_text} named in the text, {n_subj} matched to a feature id; "
                     f"{int((f['part_of'] != '').sum())} part_of guessed")
    if len(extraction.others):
        counts = extraction.others.groupby("kind").size().to_dict()
        lines.append(f"{len(extraction.others)} other number(s) (not areas): "
                     + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return lines

