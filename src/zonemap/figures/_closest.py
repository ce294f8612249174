"""Closest ids to a misspelt one, and part-of cycles, for the registry checks' hints."""

from __future__ import annotations

import difflib
from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Up to this many feature ids, a missing subject is compared with all of them (see _NearIds).
_EXHAUSTIVE_IDS = 2000


def _cycles(ids: pd.Series, parents: pd.Series) -> list[list[int]]:
    """Positions on each ``part_of`` cycle (self, 2-, 3- and longer), each cycle once."""
    first = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    first = first[~first.index.duplicated()]
    nxt = first.reindex(parents.to_numpy()).fillna(-1).to_numpy(dtype=np.int64, copy=True)
    nxt[(parents == "").to_numpy()] = -1
    alive = nxt >= 0
    indeg = np.bincount(nxt[alive], minlength=len(ids))
    while True:  # peel every node nothing points to; what remains lies on cycles
        gone = alive & (indeg == 0)
        if not gone.any():
            break
        alive &= ~gone
        np.subtract.at(indeg, nxt[gone], 1)
    cycles, seen = [], set()
    for start in np.flatnonzero(alive).tolist():
        if start in seen:
            continue
        cycle, node = [], start
        while node not in seen:
            seen.add(node)
            cycle.append(node)
            node = int(nxt[node])
        cycles.append(cycle)
    return cycles


class _NearIds:
    """Closest ids to a misspelt one.

    Among many ids (more than :data:`_EXHAUSTIVE_IDS`) only those sorting next to it, forwards
    or by their reversed spelling, are compared: a typo keeps either the beginning or the end of
    an id, and comparing a million ids takes a minute.
    """

    def __init__(self, ids: pa.Array) -> None:
        arr = pc.unique(ids)
        self.forwards = pc.array_sort_indices(arr)
        self.ids = arr.take(self.forwards).to_numpy(zero_copy_only=False)
        if len(arr) > _EXHAUSTIVE_IDS:
            backwards = pc.utf8_reverse(arr)
            self.backwards = backwards.take(pc.array_sort_indices(backwards)).to_numpy(zero_copy_only=False)
        else:
            self.backwards = None

    def closest(self, subject: str) -> str:
        pool = self.ids
        if self.backwards is not None:
            w = _EXHAUSTIVE_IDS // 4
            at = int(np.searchsorted(self.ids, subject))
            back = int(np.searchsorted(self.backwards, subject[::-1]))
            pool = [*self.ids[max(at - w, 0) : at + w], *(i[::-1] for i in self.backwards[max(back - w, 0) : back + w])]
        return _closest(subject, pool)


def _closest(subject: str, ids: Collection[str]) -> str:
    """`` (closest: a, b)`` by difflib's ratio (ties in id order), or ``""`` when none is close."""
    matcher = difflib.SequenceMatcher(b=subject)
    scored = []
    for candidate in set(ids):
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6 and matcher.ratio() >= 0.6:
            scored.append((-matcher.ratio(), candidate))
    near = [c for _, c in sorted(scored)[:3]]
    return f" (closest: {', '.join(near)})" if near else ""
