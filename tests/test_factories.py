"""Every mapped model has a factory, and every factory makes a row the database accepts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from factories import ALL_FACTORIES
from thebot import import_models
from thebot.db import Base


def mapped_models() -> set[type]:
    import_models()
    return {mapper.class_ for mapper in Base.registry.mappers}


def test_every_mapped_model_has_a_factory() -> None:
    covered = {factory_._meta.model for factory_ in ALL_FACTORIES}
    missing = sorted(model.__name__ for model in mapped_models() - covered)
    assert not missing, f"models without a factory in tests/factories.py: {missing}"


def test_the_models_cover_every_table() -> None:
    # A table mapped by no class would escape the check above.
    tables = {model.__table__.name for model in mapped_models()}
    assert tables == set(import_models().tables) - {"alembic_version"}


@pytest.mark.parametrize("factory_", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_each_factory_makes_a_row(factory_: Any, dbsession: Any) -> None:
    row = factory_()
    dbsession.expire(row)  # read the row back from the database
    assert inspect(row).identity is not None
    assert dbsession.get(factory_._meta.model, inspect(row).identity) is row
