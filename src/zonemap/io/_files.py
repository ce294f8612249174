"""Writing outputs safely and reading JSON (re-exported by :mod:`zonemap.io`).

* :func:`atomic_write` writes to a hidden temporary file next to the target, named
  ``.<name>.zm<pid>-<random>.tmp``, and renames it over the target once complete. A failed or
  interrupted write leaves the previous output as it was; errors name the user's path, not the
  temporary file. Temporary files of this exact pattern left by a process that no longer runs
  (killed with SIGKILL, power cut) are removed before the next write of the same target.
* :func:`install_signal_handlers` makes SIGTERM and SIGHUP end the program like Ctrl-C, so the
  temporary file of a write in progress is removed.
* :func:`check_outputs` refuses, before any work, outputs that are inputs (a Shapefile's sidecars, any
  file under an input directory, the same file through a link), that are not regular files or new
  paths (directories, device nodes, FIFOs, symlinks), or that are read-only (unless forced).
* :func:`csv_text` / :func:`write_csv` write every CSV zonemap produces: formula-leading text cells
  neutralised, UTF-8 with a BOM by default (Excel on Chinese Windows), or GBK with a clear error for a
  character GBK cannot hold.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataFileError, OutputPathError
from ..textsafe import escape_char, neutralise_csv_series
from ._outputs import _refuse_special

__all__ = [
    "CSV_ENCODING",
    "atomic_write",
    "clear_stale_temp_files",
    "csv_text",
    "temp_name_pattern",
    "write_csv",
    "write_text",
]

log = logging.getLogger(__name__)


#: Default encoding of CSV outputs: UTF-8 with a byte-order mark, which Excel needs to read Chinese.
CSV_ENCODING = "utf-8-sig"


# Longest part of a target name kept in its temporary name (file names are limited to 255 bytes).
_NAME_KEEP = 120
# mkstemp's random part: 8 characters of this alphabet.
_RANDOM = "[a-z0-9_]{8}"


def _temp_prefix(name: str, pid: int) -> str:
    return f".{name[:_NAME_KEEP]}.zm{pid}-"


def temp_name_pattern(name: str) -> re.Pattern[str]:
    """The names :func:`atomic_write` gives temporary files of the target called ``name``.

    The owner's process id is group 1: ``.zones.geojson.zm4242-k3j_x9ab.tmp``.
    """
    return re.compile(rf"^\.{re.escape(name[:_NAME_KEEP])}\.zm(\d+)-{_RANDOM}\.tmp$")


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def _process_start(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), where ``/proc`` tells; else ``None``."""
    boot = _boot_time()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if boot is None:
        return None
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _stale(path: Path, pid: int) -> bool:
    """A temporary file is stale when its owner is gone, or the pid now belongs to a later process."""
    if not _alive(pid):
        return True
    started = _process_start(pid)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return False
    return started is not None and mtime < started - 1.0


def clear_stale_temp_files(target: Path | str) -> list[Path]:
    """Remove temporary files of :func:`atomic_write`'s pattern for ``target`` whose writer is gone.

    Only names matching :func:`temp_name_pattern` exactly are considered, and only when the process
    id in the name no longer runs (or was reused by a process started after the file was last
    written). Writes in progress, by this or another process, are left alone.

    Parameters
    ----------
    target
        The output about to be written.

    Returns
    -------
    list of Path
        The files removed.
    """
    target = Path(target)
    pattern = temp_name_pattern(target.name)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        m = pattern.match(entry.name)
        if m is None or not entry.is_file(follow_symlinks=False):
            continue
        path = Path(entry.path)
        if _stale(path, int(m.group(1))):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
                log.info("removed %s, left by an interrupted write", path)
    return removed


def _write_error(target: Path, exc: OSError) -> OutputPathError:
    what = exc.strerror or str(exc)
    if isinstance(exc, PermissionError):
        fix = f"choose a folder you can write to, or ask for write permission on {target.parent}"
    elif isinstance(exc, IsADirectoryError | NotADirectoryError | FileExistsError):
        fix = "a folder on the path is a file, or the output is a folder: choose another output path"
    else:
        fix = "check the disk and the path, then run again"
    return OutputPathError(f"{target}: cannot write: {what} (fix: {fix})")


@contextlib.contextmanager
def atomic_write(
    path: Path | str, mode: str = "w", encoding: str | None = "utf-8", errors: str = "backslashreplace"
) -> Iterator[Any]:
    """Open a temporary file next to ``path``; rename it over ``path`` on success.

    Parameters
    ----------
    path
        The final destination; if it exists it must be a regular file (a symlink, directory,
        device or FIFO is refused).
    mode
        ``"w"`` for text, ``"wb"`` for bytes.
    encoding
        Text encoding (ignored for bytes).
    errors
        What to do with text the encoding cannot hold; the default writes an unpaired surrogate
        as ``\\udc80`` instead of failing.

    Yields
    ------
    file object
        The open temporary file. If the block raises (also ``KeyboardInterrupt`` and the
        ``SystemExit`` of :func:`install_signal_handlers`), the temporary file is removed and
        ``path`` is untouched.

    Raises
    ------
    OutputPathError
        The target is not a regular file, or its folder cannot be written (naming ``path``).
    """
    target = Path(path)
    _refuse_special(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        clear_stale_temp_files(target)
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target.name, os.getpid()), suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _write_error(target, exc) from None
    try:
        binary = "b" in mode
        with os.fdopen(fd, mode, encoding=None if binary else encoding, errors=None if binary else errors) as fh:
            os.fchmod(fh.fileno(), _output_mode(target))
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.replace(tmp, target)
        except IsADirectoryError as exc:
            raise _write_error(target, exc) from None
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OutputPathError) or tmp not in str(exc):
            raise
        raise _write_error(target, exc) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _output_mode(target: Path) -> int:
    """Permissions for an output: those of the file it replaces, else 0o666 less the umask."""
    if target.exists():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8) and return the path."""
    with atomic_write(path) as fh:
        fh.write(text)
    return Path(path)


def csv_text(df: pd.DataFrame) -> str:
    """A table as CSV text, every text cell safe to open in a spreadsheet.

    Text cells starting with ``=``, ``+``, ``-``, ``@``, TAB or CR (or full-width ``＝＋－＠``) get a
    leading ``'`` so Excel, WPS and LibreOffice show them instead of running them as formulas.
    Numeric columns are written as numbers (``-3.5`` stays ``-3.5``), and so is a text cell that is
    only a decimal number (``"-3.5"``): a spreadsheet reads it as that number, never as a formula.

    Parameters
    ----------
    df
        The table (index not written).

    Returns
    -------
    str
        The CSV, CRLF line ends, cells quoted where needed (any cell holding a CR or LF).
    """
    safe = pd.DataFrame({c: neutralise_csv_series(df[c]) for c in df.columns}, index=df.index)
    safe.columns = pd.Index([neutralise_csv_series(pd.Series([str(c)], dtype=object)).iloc[0] for c in df.columns])
    # CRLF line ends (RFC 4180): Python's csv module then quotes every cell holding a CR or an LF
    return safe.to_csv(index=False, lineterminator="\r\n")


def write_csv(df: pd.DataFrame, path: Path | str, encoding: str = CSV_ENCODING) -> Path:
    """Write :func:`csv_text` of ``df`` to ``path`` atomically.

    Parameters
    ----------
    df
        The table.
    path
        Destination file.
    encoding
        ``"utf-8-sig"`` (default: UTF-8 with BOM, for Excel), ``"utf-8"``, ``"gbk"``, ``"gb18030"``...

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    DataFileError
        A character cannot be written in ``encoding`` (naming the row, column and character), or the
        encoding is unknown.
    """
    text = csv_text(df)
    try:
        data = text.encode(encoding, errors="backslashreplace" if _is_utf8(encoding) else "strict")
    except LookupError:
        raise DataFileError(f"{path}: unknown text encoding {encoding!r} (fix: use utf-8-sig, utf-8 or gbk)") from None
    except UnicodeEncodeError as exc:
        raise _unencodable(Path(path), df, text, exc, encoding) from None
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def _is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig", "utf8-sig")


def _unencodable(path: Path, df: pd.DataFrame, text: str, exc: UnicodeEncodeError, encoding: str) -> DataFileError:
    ch = text[exc.start]
    where = ""
    for col in df.columns:
        values = df[col]
        if pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype):
            cells = pd.Series([str(v) for v in values.tolist()], dtype=object)
            hit = cells.str.contains(ch, regex=False, na=False).to_numpy(dtype=bool)
            if hit.any():
                where = f"row {int(hit.argmax()) + 1}, column {col!r}: "
                break
    shown = ch if ch.isprintable() else escape_char(ch)
    return DataFileError(
        f"{path}: {where}character {shown!r} (U+{ord(ch):04X}) cannot be written in "
        f"{encoding.upper()} (fix: write UTF-8, the default, or GB18030, which holds every "
        "character; or replace the character in the data)"
    )


# --------------------------------------------------------------------------- output-path safety


# --------------------------------------------------------------------------- signals
