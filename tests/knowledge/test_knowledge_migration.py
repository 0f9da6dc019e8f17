"""The revision that adds ``knowledge_graph.progress_tag`` gives every existing graph a
random tag of its own (not a shared default), both ways, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import MetaData, Table, create_engine, insert, inspect, select, text

from thebot.db.migrate import alembic_config
from thebot.settings import load_settings

BEFORE, REVISION = "b6d41e8a2f57", "5d1c8e0f7a3b"


def test_existing_graphs_get_distinct_random_tags(scratch_database_url):
    config = alembic_config(load_settings({"database_url": scratch_database_url}, environ={}))
    command.upgrade(config, BEFORE)
    engine = create_engine(scratch_database_url)
    try:
        now = dt.datetime(2026, 12, 6, tzinfo=dt.timezone.utc)
        with engine.begin() as conn:
            meta = MetaData()
            subject = Table("subject", meta, autoload_with=conn)
            graph = Table("knowledge_graph", meta, autoload_with=conn)
            assert "progress_tag" not in graph.c
            subject_id = conn.execute(
                insert(subject).returning(subject.c.id),
                {
                    "name": "Migrated",
                    "description": "",
                    "color": "#4a90d9",
                    "created_at": now,
                    "updated_at": now,
                },
            ).scalar_one()
            conn.execute(
                insert(graph),
                [
                    {
                        "kind": "template",
                        "title": f"T{i}",
                        "description": "",
                        "subject_id": subject_id,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(20)
                ],
            )
        command.upgrade(config, REVISION)
        with engine.connect() as conn:
            tags = conn.execute(text("SELECT progress_tag FROM knowledge_graph")).scalars().all()
        assert len(tags) == 20 and len(set(tags)) == 20
        assert all(0 <= tag < 2**62 for tag in tags)
        command.downgrade(config, BEFORE)
        assert "progress_tag" not in {
            c["name"] for c in inspect(engine).get_columns("knowledge_graph")
        }
        with engine.connect() as conn:
            assert conn.scalar(select(text("count(*)")).select_from(text("knowledge_graph"))) == 20
    finally:
        engine.dispose()
