"""``geoapp blocks generate`` on the demo town (both backends)."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from geoapp.cli import main
from geoapp.store.db import Database
from geoapp.store.models import Block, BlockBuilding


def run(url, *args):
    return CliRunner().invoke(main, [str(a) for a in args],
                              env={"GEOAPP_DATABASE_URL": url, "GEOAPP_LOCALE": "zh_CN"})  # fmt: skip


def test_generate_named_streets_with_sizes_then_unknown_street(demo_url):
    result = run(demo_url, "blocks", "generate", "--streets", "新街,老街", "--max-buildings", "5")
    assert result.exit_code == 0, result.output
    db = Database(demo_url)
    with db.session() as s:
        n = s.scalar(select(func.count()).select_from(Block))
        sizes = s.scalars(
            select(func.count()).select_from(BlockBuilding).group_by(BlockBuilding.block_id)
        ).all()
        largest = max(sizes)
    db.dispose()
    assert n > 0 and largest <= 5 and f"{n}" in result.output
    bad = run(demo_url, "blocks", "generate", "--streets", "无此路")
    assert bad.exit_code == 1 and "无此路" in bad.output
