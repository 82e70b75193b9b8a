"""``geoapp backup PATH`` and ``geoapp restore PATH`` (both backends): a round trip, and the
refusals (missing file, not a backup, a newer schema revision) in Chinese, changing nothing."""

from __future__ import annotations

from datetime import datetime

from click.testing import CliRunner
from sqlalchemy import text

from geoapp.cli import main
from geoapp.store.db import Database
from geoapp.store.migrate import head_revision


def run(url, *args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input,
                              env={"GEOAPP_DATABASE_URL": url, "GEOAPP_LOCALE": "zh_CN"})  # fmt: skip


def actors(url) -> list[str]:
    db = Database(url)
    with db.engine.connect() as c:
        rows = [
            r[0] for r in c.execute(text("SELECT actor FROM audit_event WHERE action = 'mark' ORDER BY id"))
        ]
    db.dispose()
    return rows


def mark(url, actor: str) -> None:
    db = Database(url)
    with db.engine.begin() as c:
        c.execute(
            text("INSERT INTO audit_event (at, actor, action) VALUES (:at, :a, 'mark')"),
            {"at": datetime(2026, 1, 1), "a": actor},
        )
    db.dispose()


def test_backup_then_restore_brings_the_database_back(db_url, tmp_path):
    mark(db_url, "before")
    path = tmp_path / "backups" / "geoapp.backup"
    made = run(db_url, "backup", path)
    assert made.exit_code == 0, made.output
    assert "已备份到" in made.output and head_revision() in made.output and path.is_file()

    mark(db_url, "after")
    asked = run(db_url, "restore", path, input="n\n")
    assert asked.exit_code == 1 and "未恢复任何内容" in asked.output
    assert actors(db_url) == ["before", "after"]

    restored = run(db_url, "restore", path, "--yes")
    assert restored.exit_code == 0, restored.output
    assert "已从" in restored.output and head_revision() in restored.output
    assert actors(db_url) == ["before"]
    db = Database(db_url)
    with db.engine.connect() as c:  # the restore itself is in the audit trail
        assert c.scalar(text("SELECT COUNT(*) FROM audit_event WHERE action = 'database.restore'")) == 1
    db.dispose()


def test_restore_refuses_what_is_not_a_usable_backup(db_url, tmp_path):
    mark(db_url, "kept")
    missing = run(db_url, "restore", tmp_path / "nowhere.backup", "--yes")
    assert missing.exit_code == 1 and "备份文件" in missing.output and "不存在" in missing.output

    (tmp_path / "notes.txt").write_text("hello")
    other = run(db_url, "restore", tmp_path / "notes.txt", "--yes")
    assert other.exit_code == 1 and "不是本系统的备份" in other.output

    db = Database(db_url)
    with db.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    assert run(db_url, "backup", tmp_path / "newer.backup").exit_code == 0
    with db.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = :h"), {"h": head_revision()})
    db.dispose()
    newer = run(db_url, "restore", tmp_path / "newer.backup", "--yes")
    assert newer.exit_code == 1 and "更新版本" in newer.output and "0099" in newer.output, newer.output
    assert actors(db_url) == ["kept"]
