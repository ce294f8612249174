"""Strict text decoding for figures tables and planning texts (private to :mod:`zonemap.figures`).

UTF-8 (a BOM is accepted) first, then GB18030 (GBK), both strict; a GBK reading that holds
private-use or unassigned characters, or few common (GB2312) Chinese characters, is refused:
that is what bytes of another encoding (Big5) look like read as GBK. Never guessed silently wrong.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

from ..errors import DataFileError

__all__ = ["decode_utf8_or_gbk"]

log = logging.getLogger(__name__)

_CJK = re.compile(r"[\u3400-\u9fff]")


def _odd_character(text: str) -> int | None:
    return next((i for i, ch in enumerate(text) if unicodedata.category(ch) in ("Co", "Cn")), None)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def decode_utf8_or_gbk(data: bytes, path: Path, fix: str) -> tuple[str, str]:
    """Decode bytes as UTF-8, else GBK/GB18030, strictly.

    Parameters
    ----------
    data
        The file's bytes.
    path
        The file, for messages.
    fix
        How the planner fixes an undecodable file (``"save the table as 'CSV UTF-8'"``).

    Returns
    -------
    tuple of str
        The text (BOM removed) and the encoding used (``utf-8``, ``utf-8-sig`` or ``gb18030``).

    Raises
    ------
    DataFileError
        Naming the first undecodable byte in each encoding, or why a GBK reading is implausible.
    """
    try:
        bom = data.startswith(b"\xef\xbb\xbf")
        return data.decode("utf-8-sig"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path}: neither UTF-8 (byte {utf8_error.start}: 0x{data[utf8_error.start]:02x}) nor GBK/GB18030 "
            f"(byte {exc.start}: 0x{data[exc.start]:02x}) (fix: {fix})"
        ) from None
    odd = _odd_character(text)
    cjk = _CJK.findall(text)
    common = sum(1 for ch in cjk if _in_gb2312(ch))
    if odd is not None or (cjk and common < 0.9 * len(cjk)):
        why = (
            f"a private-use or unassigned character at character {odd}"
            if odd is not None
            else f"only {common} of its {len(cjk)} Chinese characters are common ones (GB2312)"
        )
        raise DataFileError(
            f"{path}: not UTF-8 (byte {utf8_error.start}), and read as GBK it holds {why}: the encoding is "
            f"likely another one, e.g. Big5 (fix: {fix})"
        )
    log.info("%s: read as GBK/GB18030 (not UTF-8)", path)
    return text, "gb18030"
