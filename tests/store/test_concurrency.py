"""Many requests writing at once: none fails, none waits for ever, every write is kept.

A request holds a read connection while it waits for the writer (one at a time on
SQLite); if the pool could run dry, the writer itself would wait for a connection
and every thread would stall until the pool timeout.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from geoapp.services.accounts import audit
from geoapp.store.models import AuditEvent

THREADS = 30  # about `geoapp serve`'s 32 threads


def test_many_writers_holding_reads_all_get_through(db):
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def request(k: int) -> None:
        try:
            with db.session() as read:  # like a request: identify the user, then write
                read.scalar(select(func.count()).select_from(AuditEvent))
                start.wait(timeout=30)
                with db.write() as s:
                    audit.record(s, "test.concurrent", object_type="test", object_id=k)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=request, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    with db.session() as s:
        ids = s.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "test.concurrent")).all()
    assert sorted(ids, key=int) == [str(k) for k in range(THREADS)]
