"""Output checks before any work, and clean exits on signals.

An output must be writable, not an input, not inside the project and not a special file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from ..errors import OutputPathError

__all__ = ["SHAPEFILE_SIDECARS", "check_outputs", "install_signal_handlers"]

log = logging.getLogger(__name__)


#: Files that belong to a Shapefile ``x.shp`` (also written ``x.shp.xml``); writing any of them
#: destroys the input.
SHAPEFILE_SIDECARS = (
    ".shp",
    ".shx",
    ".dbf",
    ".prj",
    ".cpg",
    ".qix",
    ".sbn",
    ".sbx",
    ".xml",
    ".fix",
    ".ain",
    ".aih",
    ".atx",
    ".ixs",
    ".mxs",
)


def _refuse_special(target: Path) -> None:
    """Refuse a target that exists and is not a regular file (never replace a device or a link)."""
    try:
        st = target.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputPathError(
            f"{target}: cannot write here: {exc.strerror} (fix: choose another output path)"
        ) from None
    kind = _special_kind(st.st_mode)
    if kind:
        raise OutputPathError(
            f"{target}: is {kind}, not a regular file; zonemap will not replace it "
            "(fix: give the path of a new or existing regular file)"
        )


def _special_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    for test, name in kinds:
        if test(mode):
            return name
    return "" if stat.S_ISREG(mode) else "not a regular file"


def _resolved(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _key(path: Path) -> tuple[Path, str]:
    """A file's folder and lower-case name: a Shapefile's parts are found case-insensitively (GDAL, Windows)."""
    return path.parent, path.name.lower()


def _input_files(inputs: Iterable[Path | str]) -> tuple[set[tuple[Path, str]], list[Path], set[tuple[int, int]]]:
    """Input files (resolved, with Shapefile sidecars) as :func:`_key`, input directories, (device, inode) pairs."""
    files: set[tuple[Path, str]] = set()
    dirs: list[Path] = []
    inodes: set[tuple[int, int]] = set()
    for raw in inputs:
        p = _resolved(Path(raw))
        if p.is_dir():
            dirs.append(p)
            continue
        group = [p]
        if p.suffix.lower() in SHAPEFILE_SIDECARS or p.name.lower().endswith(".shp.xml"):
            stem = p.name[: -len(".shp.xml")] if p.name.lower().endswith(".shp.xml") else p.stem
            group += [p.with_name(stem + ext) for ext in (*SHAPEFILE_SIDECARS, ".shp.xml")]
        for q in group:
            files.add(_key(q))
            with contextlib.suppress(OSError):
                st = q.stat()
                inodes.add((st.st_dev, st.st_ino))
    return files, dirs, inodes


def check_outputs(
    outputs: Iterable[Path | str | None], inputs: Iterable[Path | str | None], *, force: bool = False
) -> None:
    """Refuse, before any work, outputs that would destroy an input or something that is not a file.

    Parameters
    ----------
    outputs
        Every file the command will write (``None`` entries are skipped).
    inputs
        Every file the command reads, and the directories it reads from (the geodata directory,
        the reference directory): an output anywhere under an input directory is refused. A
        Shapefile input brings its sidecars (``.shx``, ``.dbf``, ``.prj``, ``.cpg``...), matched
        without regard to case (``FULL.SHX`` is ``full.shx`` to GDAL and on Windows).
    force
        Allow replacing read-only output files.

    Raises
    ------
    OutputPathError
        Naming the output and how to fix it, when an output is an input (also through a symlink or a
        hard link), lies under an input directory, is named twice, exists but is not a regular file
        (directory, symlink, FIFO, device, socket), or is read-only without ``force``.
    """
    files, dirs, inodes = _input_files(p for p in inputs if p is not None)
    seen: dict[Path, Path] = {}
    for raw in outputs:
        if raw is None:
            continue
        out = Path(raw)
        _refuse_special(out)
        real = _resolved(out)
        if real in seen:
            raise OutputPathError(
                f"{out}: named as two outputs (also as {seen[real]}) (fix: give each output its own path)"
            )
        seen[real] = out
        if _key(real) in files or _same_inode(real, inodes):
            raise OutputPathError(
                f"{out}: is an input of this command; writing it would destroy the input "
                "(fix: write the output to another file)"
            )
        for d in dirs:
            if real.is_relative_to(d):
                raise OutputPathError(
                    f"{out}: lies in {d}, which this command reads; writing there could "
                    "replace project files (fix: write outputs to another folder, e.g. ./out)"
                )
        if out.exists() and not force and _read_only(out):
            raise OutputPathError(
                f"{out}: is read-only; zonemap will not replace it "
                "(fix: choose another output, make it writable, or pass --force)"
            )


def _same_inode(path: Path, inodes: set[tuple[int, int]]) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return (st.st_dev, st.st_ino) in inodes


def _read_only(path: Path) -> bool:
    mode = path.stat().st_mode
    return not (mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) or not os.access(path, os.W_OK)


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    signal.signal(signum, signal.SIG_IGN)  # a second signal during clean-up does not cut it short
    name = signal.Signals(signum).name
    log.warning("received %s: stopping, removing partial outputs", name)
    raise SystemExit(128 + signum)


def install_signal_handlers() -> dict[int, Callable[[int, FrameType | None], Any] | int | None]:
    """Make SIGTERM and SIGHUP stop the program like Ctrl-C (the CLI calls this in ``main``).

    The handler raises ``SystemExit(128 + signal number)`` in the main thread, so every
    :func:`atomic_write` in progress removes its temporary file and leaves the previous output.
    SIGINT keeps Python's ``KeyboardInterrupt``. Does nothing outside the main thread.

    Returns
    -------
    dict
        The previous handler of each signal replaced (to restore them).
    """
    import threading

    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        previous[int(signum)] = signal.signal(signum, _exit_on_signal)
    return previous
