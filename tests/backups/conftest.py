"""Fixtures of the backup tests.

* ``app`` is overridden here so the shared fixtures (``testapp``, ``broker``, ``worker``,
  ``make_user``, ``auth_headers``) run an app whose backups go to a temporary directory.
* ``sites`` builds isolated installations, each with its OWN database (a SQLite file, or a
  scratch PostgreSQL database named after the run's, ``thebot_test_<id>_bk...``), media root and
  backup directory: restores replace whole databases, which the shared per-test rollback
  cannot host.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import webtest
from pyramid.scripting import prepare
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

# The run's scratch database (its name starts the sites' databases) and Redis key prefix.
from testenv import PG, TEST_DATABASE_URL, TEST_HOST, TEST_REDIS_PREFIX, TEST_REDIS_URL
from thebot import main
from thebot.db.migrate import upgrade

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Any], tmp_root: str) -> Any:
    return make_app(
        backup_dir=os.path.join(tmp_root, "backups"),
        media_root=os.path.join(tmp_root, "backup-media"),
    )


def pg_admin_engine() -> Any:
    url = make_url(TEST_DATABASE_URL).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


class Templates:
    """One migrated database per kind, made once per session: new sites are copies of it
    (migrating PostgreSQL from scratch takes seconds; ``CREATE DATABASE ... TEMPLATE`` not)."""

    def __init__(self, root: Path):
        self.root = root
        self.made: dict[str, str] = {}

    def get(self, kind: str) -> str:
        if kind not in self.made:
            self.made[kind] = self._make(kind)
        return self.made[kind]

    def _make(self, kind: str) -> str:
        from thebot.db import get_engine
        from thebot.settings import load_settings

        if kind == "sqlite":
            url = f"sqlite:///{self.root / 'template.sqlite'}"
            name = str(self.root / "template.sqlite")
        else:
            name = f"{make_url(TEST_DATABASE_URL).database}_bktpl{os.getpid()}"
            _create_database(name)
            url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(False)
        settings = load_settings({"database_url": url}, environ={})
        engine = get_engine(settings)
        with engine.begin() as conn:
            upgrade(settings, connection=conn)
        if kind == "sqlite":
            with engine.connect() as conn:  # fold the WAL in: the file alone is the copy
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        return name

    def drop(self) -> None:
        if "postgresql" in self.made:
            _drop_database(self.made["postgresql"])


def _create_database(name: str, template: str | None = None) -> None:
    engine = pg_admin_engine()
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
    engine.dispose()


def _drop_database(name: str) -> None:
    engine = pg_admin_engine()
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    made = Templates(tmp_path_factory.mktemp("backup-templates"))
    yield made
    made.drop()


class Databases:
    """Databases of the configured kind (or of ``kind``): empty, or already migrated."""

    def __init__(self, tmp_path: Path, templates: Templates):
        self.tmp_path = tmp_path
        self.templates = templates
        self.created: list[str] = []

    def url(self, name: str, kind: str | None = None, migrated: bool = False) -> str:
        kind = kind or ("postgresql" if PG else "sqlite")
        if kind == "sqlite":
            path = self.tmp_path / f"{name}.sqlite"
            if migrated:
                shutil.copyfile(self.templates.get(kind), path)
            return f"sqlite:///{path}"
        if not PG:
            pytest.skip("needs THEBOT_TEST_DATABASE_URL pointing at PostgreSQL")
        base = make_url(TEST_DATABASE_URL)
        database = f"{base.database}_bk{os.getpid()}_{next(_numbers)}_{name}"[:60]
        _create_database(database, self.templates.get(kind) if migrated else None)
        self.created.append(database)
        return base.set(database=database).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for database in self.created:
            _drop_database(database)


class Site:
    """One installation: app, database, media root, backup directory, a prepared request."""

    def __init__(self, root: Path, url: str, **settings: Any):
        self.root = root
        self.media = root / "media"
        self.backups = root / "backups"
        self.media.mkdir(parents=True, exist_ok=True)
        values = {
            "debug": "true",
            "secret_key": "s" * 64,
            "allowed_hosts": f"{TEST_HOST} localhost",
            "database_url": url,
            "redis_url": TEST_REDIS_URL or "",
            "redis_key_prefix": TEST_REDIS_PREFIX,
            "task_broker": "stub",
            "rate_limit_enabled": "false",
            "media_root": str(self.media),
            "backup_dir": str(self.backups),
            "mail_dir": str(root / "mail"),
            **{k: str(v) for k, v in settings.items()},
        }
        self.app = main({}, **values)
        self.registry = self.app.registry
        self.engine = self.registry["dbengine"]
        self._env = prepare(registry=self.registry)
        self.request = self._env["request"]

    def session(self) -> Session:
        return self.registry["dbsession_factory"]()

    def client(self) -> webtest.TestApp:
        return webtest.TestApp(self.app, extra_environ={"HTTP_HOST": TEST_HOST})

    def close(self) -> None:
        self._env["closer"]()
        self.engine.dispose()


@pytest.fixture
def databases(tmp_path: Path, templates: Templates) -> Iterator[Databases]:
    dbs = Databases(tmp_path, templates)
    yield dbs
    dbs.drop_all()


@pytest.fixture
def sites(tmp_path: Path, databases: Databases) -> Iterator[Callable[..., Site]]:
    """``sites("name", migrate=True, kind=None, **settings)`` -> a new ``Site``."""
    made: list[Site] = []

    def make(name: str, *, migrate: bool = True, kind: str | None = None, **settings: Any) -> Site:
        site = Site(tmp_path / name, databases.url(name, kind, migrated=migrate), **settings)
        made.append(site)
        return site

    yield make
    for site in made:
        site.close()


def rewrite_archive(
    source: Path,
    target: Path,
    change: Callable[[dict], None] = lambda manifest: None,
    rows: dict[str, Callable[[list], list]] | None = None,
) -> Path:
    """A copy of an archive with its manifest changed by ``change`` and, for the tables
    named in ``rows``, the rows member replaced by the function's result (with a matching
    count and checksum: a consistent archive whose content is wrong).

    The copy gets a new id, as an archive from another installation would; the media
    index (which names the archive holding each file) is rewritten to match.
    """
    import gzip
    import hashlib
    import io
    import json
    import uuid

    with tarfile.open(source, "r:") as old:
        members = {m.name: old.extractfile(m).read() for m in old}
    manifest = json.loads(members.pop("manifest.json"))
    old_id, new_id = manifest["id"], uuid.uuid4().hex
    manifest["id"] = new_id
    index_name = manifest["media"]["index"]["member"]
    lines = [json.loads(line) for line in gzip.decompress(members[index_name]).splitlines()]
    text = "".join(
        json.dumps([*line[:4], new_id if line[4] == old_id else line[4]]) + "\n" for line in lines
    )
    members[index_name] = gzip.compress(text.encode())
    manifest["media"]["index"].update(
        sha256=hashlib.sha256(members[index_name]).hexdigest(), bytes=len(members[index_name])
    )
    for entry in manifest["tables"]:
        if entry["name"] in (rows or {}):
            info = entry["rows"]
            old_rows = [
                json.loads(x) for x in gzip.decompress(members[info["member"]]).splitlines()
            ]
            new_rows = rows[entry["name"]](old_rows)
            data = gzip.compress("".join(json.dumps(r) + "\n" for r in new_rows).encode())
            members[info["member"]] = data
            info.update(
                count=len(new_rows), bytes=len(data), sha256=hashlib.sha256(data).hexdigest()
            )
            entry["total_rows"] = len(new_rows)
    change(manifest)
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as new:
        for name, data in [("manifest.json", json.dumps(manifest).encode()), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return target


def flip_byte(path: Path, member_prefix: str) -> None:
    """Corrupt one byte inside the data of the first member whose name starts so."""
    with tarfile.open(path, "r:") as tar:
        member = next(m for m in tar if m.name.startswith(member_prefix) and m.size > 40)
        offset = member.offset_data + member.size // 2
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0xFF]))
