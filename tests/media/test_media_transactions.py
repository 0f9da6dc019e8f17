"""Files follow their transaction: an aborted or failed commit leaves nothing on disk, and a
discarded file disappears only once its row's deletion has committed."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
import transaction
import zope.sqlalchemy
from sqlalchemy import func, select
from transaction.interfaces import NoTransaction

from thebot.catalog.models import Subject, TeacherSubject
from thebot.materials.materials import views as material_views
from thebot.materials.models import Material
from thebot.media.models import MediaFile
from thebot.media.service import discard_media, media_path, store_upload

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


class FailingVote:
    """A data manager whose vote fails: the commit of its transaction fails."""

    transaction_manager = None

    def abort(self, txn):
        pass

    def tpc_begin(self, txn):
        pass

    def commit(self, txn):
        pass

    def tpc_vote(self, txn):
        raise RuntimeError("the database went away")

    def tpc_finish(self, txn):
        pass

    def tpc_abort(self, txn):
        pass

    def sortKey(self):
        return "~failing"


@pytest.fixture
def tm_request(app, dbsession):
    """A request-like object whose session is joined to its own transaction manager."""
    manager = transaction.TransactionManager(explicit=True)
    session = app.registry["dbsession_factory"]()
    zope.sqlalchemy.register(session, transaction_manager=manager)
    manager.begin()
    request = SimpleNamespace(registry=app.registry, tm=manager, dbsession=session, identity=None)
    yield request
    with contextlib.suppress(NoTransaction):  # the test may have ended it already
        manager.abort()
    session.close()


def upload(name="lesson.pdf", data=PDF):
    return SimpleNamespace(file=io.BytesIO(data), filename=name)


def stored(request, media) -> Path:
    return media_path(request.registry.settings, media.storage_name)


def test_an_aborted_transaction_removes_the_stored_file(tm_request):
    media = store_upload(tm_request, upload(), kind="material", owner_type="material", owner_id=1)
    path = stored(tm_request, media)
    assert path.read_bytes() == PDF
    tm_request.tm.abort()
    assert not path.exists()


def test_a_committed_transaction_keeps_file_and_row(tm_request, dbsession):
    media = store_upload(tm_request, upload(), kind="material", owner_type="material", owner_id=1)
    path = stored(tm_request, media)
    tm_request.tm.commit()
    assert path.exists()
    assert dbsession.get(MediaFile, media.id).storage_name == media.storage_name


def test_a_failed_commit_removes_the_stored_file(tm_request):
    media = store_upload(tm_request, upload(), kind="material", owner_type="material", owner_id=1)
    path = stored(tm_request, media)
    tm_request.tm.get().join(FailingVote())
    with pytest.raises(RuntimeError):
        tm_request.tm.commit()
    assert not path.exists()


def test_a_discarded_file_stays_until_the_deletion_commits(tm_request, dbsession):
    media = store_upload(tm_request, upload(), kind="material", owner_type="material", owner_id=1)
    path = stored(tm_request, media)
    tm_request.tm.commit()

    tm_request.tm.begin()
    discard_media(tm_request, tm_request.dbsession.get(MediaFile, media.id))
    tm_request.dbsession.flush()
    tm_request.tm.abort()
    assert path.exists()  # the row is back, so is the file

    tm_request.tm.begin()
    discard_media(tm_request, tm_request.dbsession.get(MediaFile, media.id))
    tm_request.tm.commit()
    assert not path.exists()
    assert dbsession.get(MediaFile, media.id) is None


def test_a_request_that_fails_after_the_upload_leaves_nothing(
    testapp, app, dbsession, make_user, auth_headers, monkeypatch
):
    teacher = make_user("teacher")
    subject = Subject(name="Geometry")
    dbsession.add(subject)
    dbsession.flush()
    dbsession.add(TeacherSubject(teacher_id=teacher.id, subject_id=subject.id))
    material = Material(title="Angles", author_id=teacher.id, subject_id=subject.id, type="lesson")
    dbsession.add(material)
    dbsession.flush()
    root = Path(app.registry.settings["media_root"])
    before = {p for p in root.rglob("*") if p.is_file()}
    rows = dbsession.scalar(select(func.count()).select_from(MediaFile))

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit storage failed")

    monkeypatch.setattr(material_views, "audit", broken_audit)
    response = testapp.post(
        f"/api/materials/{material.id}/file/",
        upload_files=[("file", "a.pdf", PDF)],
        headers=auth_headers(teacher),
        status=500,
    )
    assert response.content_type == "application/problem+json"
    assert {p for p in root.rglob("*") if p.is_file()} == before
    assert dbsession.scalar(select(func.count()).select_from(MediaFile)) == rows
    dbsession.expire_all()
    assert dbsession.get(Material, material.id).file_id is None
