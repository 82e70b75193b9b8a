"""Checks the bulk store of buildings needs before its rows reach the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.address import TOWN_NAME, UNNUMBERED, address_taken, door_text
from geoapp.store.bulk import release_free_memory
from geoapp.store.models import Building


class Addresses(Sequence[str]):
    """Each house's standard address (the file's, or one made from its village, street and
    door), made a slice at a time when read: a million of them held at once weigh 120 MB.

    The door's text and the street's are made once per distinct value; a slice's addresses
    are joined by numpy on object arrays (one C loop, not one Python call per house)."""

    def __init__(self, given, villages, streets, doors) -> None:
        self.given = np.asarray(given, dtype=object)
        self.villages = np.asarray(villages, dtype=object)
        self.doors = doors
        codes, uniques = pd.factorize(np.asarray(doors, dtype=object), use_na_sentinel=True)
        tails = [door_text(d) or UNNUMBERED for d in uniques]
        self.door_codes = codes
        self.door_tails = np.array([*tails, door_text(None) or UNNUMBERED], dtype=object)  # -1: none
        codes, uniques = pd.factorize(np.asarray(streets, dtype=object), use_na_sentinel=True)
        self.street_codes = codes
        self.street_texts = np.array([*((s or "").strip() for s in uniques), ""], dtype=object)

    def __len__(self) -> int:
        return len(self.doors)

    def slice(self, start: int, stop: int) -> np.ndarray:
        """The addresses of houses ``start`` to ``stop`` (object array of str)."""
        made = (
            TOWN_NAME
            + self.villages[start:stop]
            + self.street_texts[self.street_codes[start:stop]]
            + self.door_tails[self.door_codes[start:stop]]
        )
        given = self.given[start:stop]
        out = np.where(pd.isna(given) | (given == ""), made, given)
        long = np.flatnonzero(np.fromiter(map(len, out), dtype=np.int64, count=len(out)) > 200)
        for i in long:
            out[i] = out[i][:200]
        return out

    def one(self, i: int) -> str:
        return str(self.slice(i, i + 1)[0])

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return self.slice(start, max(start, stop)).tolist()
            return [self.one(i) for i in range(start, stop, step)]
        return self.one(index)

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self), SLICE):
            yield from self.slice(start, min(start + SLICE, len(self))).tolist()


SLICE = 25_000


def refuse_taken_addresses(session: Session, addresses: Sequence[str], doors: Sequence[str | None]) -> None:
    """Raise the address Conflict for a numbered house whose standard address is repeated in
    the file or already stored (the unique index would refuse it too, but a bulk insert's
    error names no address). Repeats are found by the addresses' hashes, then confirmed."""
    release_free_memory()  # the street search's metric copies of every geometry
    numbered = np.flatnonzero(pd.notna(np.asarray(doors, dtype=object)))
    if len(numbered) == 0:
        return
    hashes = np.empty(len(numbered), dtype=np.int64)
    for k in range(0, len(numbered), SLICE):  # a slice of addresses at a time
        rows = numbered[k : k + SLICE]
        made = addresses[int(rows[0]) : int(rows[-1]) + 1]
        first = int(rows[0])
        hashes[k : k + len(rows)] = np.fromiter(
            (hash(made[int(i) - first]) for i in rows), np.int64, len(rows)
        )
    order = np.argsort(hashes, kind="stable")
    same = np.flatnonzero(hashes[order][1:] == hashes[order][:-1])
    seen: set[str] = set()
    for i in sorted(set(order[same].tolist()) | set(order[same + 1].tolist())):
        address = addresses[int(numbered[i])]
        if address in seen:
            raise address_taken(address)
        seen.add(address)
    stored = select(Building.address).where(Building.door_no.is_not(None))
    if session.execute(stored.limit(1)).first() is None:
        return
    taken = set(session.execute(stored).scalars())
    for k in range(0, len(numbered), SLICE):
        rows = numbered[k : k + SLICE]
        first = int(rows[0])
        made = addresses[first : int(rows[-1]) + 1]
        for i in rows:
            if (address := made[int(i) - first]) in taken:
                raise address_taken(address)
