"""Checks the bulk store of buildings needs before its rows reach the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.address import TOWN_NAME, address_taken, standard_address
from geoapp.store.bulk import release_free_memory
from geoapp.store.models import Building


class Addresses(Sequence[str]):
    """Each house's standard address (the file's, or one made from its village, street and
    door), made when read: a million of them held at once weigh 120 MB."""

    def __init__(self, given, villages, streets, doors) -> None:
        self.given, self.villages, self.streets, self.doors = given, villages, streets, doors

    def __len__(self) -> int:
        return len(self.doors)

    def one(self, i: int) -> str:
        address = self.given[i] or standard_address(
            TOWN_NAME, self.villages[i], self.streets[i], self.doors[i]
        )
        return address[:200]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.one(i) for i in range(*index.indices(len(self)))]
        return self.one(index)

    def __iter__(self) -> Iterator[str]:
        return (self.one(i) for i in range(len(self)))


def refuse_taken_addresses(session: Session, addresses: Sequence[str], doors: Sequence[str | None]) -> None:
    """Raise the address Conflict for a numbered house whose standard address is repeated in
    the file or already stored (the unique index would refuse it too, but a bulk insert's
    error names no address). Repeats are found by the addresses' hashes, then confirmed."""
    release_free_memory()  # the street search's metric copies of every geometry
    numbered = np.flatnonzero(pd.notna(np.asarray(doors, dtype=object)))
    if len(numbered) == 0:
        return
    hashes = np.fromiter((hash(addresses[int(i)]) for i in numbered), dtype=np.int64, count=len(numbered))
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
    for i in numbered:
        if (address := addresses[int(i)]) in taken:
            raise address_taken(address)
