"""Reading a source text for the extractor: encoding detection and normalising.

NFKC and traditional-to-simplified, with a map back to the offsets of the original text.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import DataFileError, MissingFileError
from ._decode import decode_utf8_or_gbk

__all__ = ["NormalText", "normalise", "read_text"]

log = logging.getLogger(__name__)


_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"


#: A pinyin gloss after a Chinese character: ``(zhì)``, ``（fā）``, ``(zhi4)``.
_GLOSS = re.compile(
    rf"(?<=[\u3400-\u9fff])[(（](?:(?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,7}}|[a-zü]{{1,6}}[1-5])[)）]"
)


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
            raise DataFileError(
                f"{p}: byte {exc.start} (0x{data[exc.start]:02x}) is not {encoding} "
                "(fix: give the file's real encoding, or leave --encoding out to detect it)"
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataFileError(f"{p}: the text is UTF-16 (fix: save it as UTF-8 from the editor)")
    if not data.strip():
        raise DataFileError(f"{p}: the text is empty (fix: give the file holding the planning text)")
    if b"\x00" in data:
        raise DataFileError(
            f"{p}: holds NUL bytes at byte {data.index(0)}: a binary file, not a text "
            "(fix: save the document as plain text, UTF-8)"
        )
    text, used = decode_utf8_or_gbk(data, p, "save the text as UTF-8, or give --encoding big5 if it is Big5")
    return text, "utf-8" if used.startswith("utf-8") else used


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
        keep[m.start() : m.end()] = False
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
