"""Reading JSON inputs.

Size limit, encoding checked (UTF-8, unencodable text named), the file and position of a syntax
error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import DataFileError, MissingFileError

__all__ = ["MAX_JSON_BYTES", "read_json"]


#: Largest JSON file read (bytes). Larger files are refused with a hint.
MAX_JSON_BYTES = 512 * 1024 * 1024


def read_json(path: Path | str, max_bytes: int = MAX_JSON_BYTES, encoding: str = "utf-8-sig") -> Any:
    """Read a JSON file with clear errors for every way it can be unreadable.

    Parameters
    ----------
    path
        The file.
    max_bytes
        Refuse files larger than this.
    encoding
        Text encoding; RFC 7946 GeoJSON is UTF-8 (a BOM is accepted).

    Returns
    -------
    object
        The decoded JSON.

    Raises
    ------
    MissingFileError
        The file does not exist.
    DataFileError
        A directory, too large, not UTF-8, malformed, or nested too deeply.
    """
    p = Path(path)
    if p.is_dir():
        raise DataFileError(f"{p}: is a directory, not a JSON file (fix: name the file inside it)")
    if not p.is_file():
        raise MissingFileError(f"{p}: file not found (fix: check the path)")
    size = p.stat().st_size
    if size > max_bytes:
        raise DataFileError(
            f"{p}: file is {size / 2**20:.3g} MiB, larger than the {max_bytes / 2**20:.3g} MiB "
            "limit (fix: split it into smaller files)"
        )
    raw = p.read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{p}: not valid {encoding.removesuffix('-sig').upper()} at byte {exc.start} (fix: GeoJSON must be "
            "UTF-8; re-save it as UTF-8, e.g. `iconv -f GBK -t UTF-8`, or import it with "
            "`zonemap import FILE --encoding GBK`)"
        ) from None
    except LookupError:
        raise DataFileError(f"{p}: unknown text encoding {encoding!r} (fix: e.g. UTF-8 or GBK)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{p}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg} "
            "(fix: repair the file; a JSON linter shows the spot)"
        ) from None
    except RecursionError:
        raise DataFileError(
            f"{p}: JSON nested too deeply to be geodata (fix: check the file is GeoJSON; coordinates nest "
            "at most 4 levels, in a MultiPolygon)"
        ) from None
