"""Finding a real CJK font on the machine for printed maps.

Chinese text is drawn only in a font that holds its glyphs: matplotlib's font list is searched
for the families below (Simplified Chinese faces first). If none is installed a
:class:`MissingFontError` says how to install one; a glyph missing at drawing time is an error
too (see :func:`glyph_warnings_as_error`), never a box on the page.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import ZonemapError

__all__ = ["CJK_FAMILIES", "CjkFont", "MissingFontError", "find_cjk_font", "glyph_warnings_as_error"]

log = logging.getLogger(__name__)

#: Font families searched, best first (Simplified Chinese faces before the others).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Source Han Sans",
    "Noto Serif CJK JP",
)

_INSTALL_HINT = (
    "install a CJK font, e.g. `sudo apt-get install fonts-noto-cjk` (Debian/Ubuntu), "
    "`brew install --cask font-noto-sans-cjk-sc` (macOS) or Noto Sans CJK SC from "
    "https://github.com/notofonts/noto-cjk, then remove matplotlib's font cache "
    "(~/.cache/matplotlib/fontlist-*.json) so it is found"
)

_GLYPH_RE = re.compile(r"Glyph .* missing from (current )?font")


class MissingFontError(ZonemapError):
    """No font that can draw Chinese text is installed, or a glyph is missing from it."""


@dataclass(frozen=True)
class CjkFont:
    """A CJK font found by :func:`find_cjk_font`."""

    family: str
    path: Path


def find_cjk_font() -> CjkFont:
    """The best CJK font matplotlib can use on this machine.

    Returns
    -------
    CjkFont
        Its family name (to put first in ``font.family``) and file.

    Raises
    ------
    MissingFontError
        None of :data:`CJK_FAMILIES` is installed; the message says how to install one.
    """
    from matplotlib import font_manager

    found: dict[str, Path] = {}
    for entry in font_manager.fontManager.ttflist:
        if entry.name in CJK_FAMILIES and entry.style == "normal" and entry.name not in found:
            found[entry.name] = Path(entry.fname)
    for family in CJK_FAMILIES:
        if family in found:
            log.debug("CJK font: %s (%s)", family, found[family])
            return CjkFont(family, found[family])
    raise MissingFontError(
        f"no CJK font found for printing Chinese text (searched {', '.join(CJK_FAMILIES)}) (fix: {_INSTALL_HINT})"
    )


@contextmanager
def glyph_warnings_as_error(what: str) -> Iterator[None]:
    """Turn matplotlib's "Glyph ... missing from font" warnings inside the block into an error.

    Parameters
    ----------
    what
        The output being drawn, named in the error.

    Raises
    ------
    MissingFontError
        A character could not be drawn in any of the fonts in use.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    missing = sorted({str(w.message) for w in caught if _GLYPH_RE.search(str(w.message))})
    for w in caught:
        if not _GLYPH_RE.search(str(w.message)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if missing:
        raise MissingFontError(
            f"{what}: {len(missing)} character(s) cannot be drawn: {'; '.join(missing[:5])} "
            f"(fix: {_INSTALL_HINT}, or remove the character from the data)"
        )
