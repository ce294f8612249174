"""Exceptions raised by zonemap.

Every error zonemap raises on purpose is a :class:`ZonemapError`. Each subclass also
derives from the builtin exception a caller would expect (``ValueError`` for bad
values, ``FileNotFoundError`` for a missing file...), so generic handlers keep working.

Only the CLI turns these into exit codes: :class:`CheckFailed` exits 1 (the data
was read but a check did not pass), every other :class:`ZonemapError` exits 2 (bad
input: a file, an option or a value that must be fixed before anything can run).

Messages quote data (file names, ids, values); when an error is turned into text, control and
bidirectional characters in it are shown as escapes (:func:`safe_text`), so a name holding an ESC
sequence or a right-to-left override cannot rewrite the terminal it is printed to.
"""

from __future__ import annotations

from dataclasses import dataclass

from .textsafe import safe_text

__all__ = [
    "CRSError",
    "CheckFailed",
    "ConfigError",
    "DataFileError",
    "MissingFileError",
    "OutputPathError",
    "Problem",
    "SchemaError",
    "ZonemapError",
    "safe_text",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one feature (or row) of one file.

    Parameters
    ----------
    file
        The file the problem is in (as given by the user).
    feature
        Which feature or row: ``"#3 (id fg-zone-east)"``, or ``""`` for the whole file.
    message
        What is wrong.
    hint
        How to fix it.
    """

    file: str
    feature: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}: {self.feature}: " if self.feature else f"{self.file}: "
        text = where + self.message
        return safe_text(f"{text} (fix: {self.hint})" if self.hint else text)


class ZonemapError(Exception):
    """Root of every error zonemap raises on purpose.

    Parameters
    ----------
    message
        What went wrong, naming the file and feature where there is one.
    problems
        The individual problems, when several were collected before raising.
    """

    exit_code = 2

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()):
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(problems)

    def __str__(self) -> str:
        head = safe_text(super().__str__())
        if not self.problems:
            return head
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class SchemaError(ZonemapError, ValueError):
    """Data does not follow the feature or figure schema."""


class DataFileError(ZonemapError, ValueError):
    """A file cannot be read: malformed, wrong encoding, too large or too deep."""


class MissingFileError(ZonemapError, FileNotFoundError):
    """A file or directory the user named does not exist."""


class CRSError(ZonemapError, ValueError):
    """A coordinate reference system is unknown, missing or does not fit the data."""


class ConfigError(ZonemapError, ValueError):
    """A setting or option is out of range (a tolerance, an accuracy)."""


class OutputPathError(ZonemapError, OSError):
    """An output cannot or must not be written there.

    It is an input, not a regular file, read-only, or the directory refuses it.
    """


class CheckFailed(ZonemapError):
    """The data was read, but a check (``--strict`` reconciliation, validation) failed."""

    exit_code = 1
