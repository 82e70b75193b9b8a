"""Checks the bulk store of buildings needs before its rows reach the database."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from geoapp.domain.address import address_taken
from geoapp.store.models import Building


def refuse_taken_addresses(session: Session, addresses: Sequence[str], doors: Sequence[str | None]) -> None:
    """Raise the address Conflict for a numbered house whose standard address is repeated in
    the file or already stored (the unique index would refuse it too, but a bulk insert's
    error names no address)."""
    numbered = pd.Series(addresses, dtype=object)[pd.notna(pd.Series(doors, dtype=object)).to_numpy()]
    if numbered.empty:
        return
    repeated = numbered[numbered.duplicated()]
    if not repeated.empty:
        raise address_taken(str(repeated.iloc[0]))
    wanted = set(numbered)
    stored = select(Building.address).where(Building.door_no.is_not(None))
    for batch in session.execute(stored).scalars().partitions(50_000):
        clash = wanted.intersection(batch)
        if clash:
            raise address_taken(min(clash))
