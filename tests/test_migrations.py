"""Models and migrations must not drift; migrations run forward and backward."""

from __future__ import annotations

from alembic import command

from thebot.db.migrate import alembic_config, current_revision, head_revision, model_drift


def test_models_match_migrations(engine):
    with engine.connect() as conn:
        drift = model_drift(conn)
    assert drift == [], (
        f"run: alembic -c development.ini revision --autogenerate -m '...'\n{drift}"
    )


def test_database_is_at_head(engine):
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()


def test_single_head():
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"merge the heads: {heads}"


def test_downgrade_to_base_and_back(tmp_path):
    from thebot.settings import load_settings

    settings = load_settings({"database_url": f"sqlite:///{tmp_path}/down.sqlite"}, environ={})
    config = alembic_config(settings)
    command.upgrade(config, "heads")
    command.downgrade(config, "base")
    command.upgrade(config, "heads")
