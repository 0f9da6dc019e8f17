"""``GET /media/{path}``: the owner's visibility, traversal, headers, conditional GET, HEAD."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from types import SimpleNamespace

import pytest

from factories import MediaFileFactory, ParentLinkFactory
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.catalog.models import Enrollment, Subject, TeacherSubject
from thebot.materials.models import Material, MaterialSubmission
from thebot.media.service import media_path, new_storage_name

PROBLEM = "application/problem+json"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)


@pytest.fixture
def put_media(app, dbsession):
    """Write ``data`` under a generated name and record its row (as an upload would)."""
    settings = app.registry.settings

    def put(
        owner_type: str,
        owner_id: int,
        *,
        kind: str | None = None,
        data: bytes = PDF,
        content_type: str = "application/pdf",
        name: str = "lesson.pdf",
    ):
        kind = kind or {"user": "avatar"}.get(owner_type, owner_type)
        storage_name = new_storage_name(kind, name.rsplit(".", 1)[-1])
        path = media_path(settings, storage_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return MediaFileFactory(
            kind=kind,
            storage_name=storage_name,
            original_name=name,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            owner_type=owner_type,
            owner_id=owner_id,
        )

    return put


@pytest.fixture
def world(dbsession, make_user):
    """A subject taught by ``teacher`` to ``student`` (whose parent is ``parent``), with a
    private lesson and a homework submission, and people related to none of it."""
    w = SimpleNamespace()
    w.teacher = make_user("teacher")
    w.student = make_user("student")
    w.parent = make_user("parent")
    w.admin = make_user("admin")
    w.other_student = make_user("student")
    w.other_parent = make_user("parent")
    w.other_teacher = make_user("teacher")
    w.tutor = make_user("tutor")
    ParentLinkFactory(student=w.student, parent=w.parent)
    ParentLinkFactory(student=w.other_student, parent=w.other_parent)
    subject = Subject(name=f"Chemistry {w.teacher.id}")
    dbsession.add(subject)
    dbsession.flush()
    dbsession.add(TeacherSubject(teacher_id=w.teacher.id, subject_id=subject.id))
    dbsession.add(
        Enrollment(student_id=w.student.id, subject_id=subject.id, teacher_id=w.teacher.id)
    )
    w.lesson = Material(
        title="Acids",
        author_id=w.teacher.id,
        subject_id=subject.id,
        type="lesson",
        status="active",
    )
    w.homework = Material(
        title="Acids: homework",
        author_id=w.teacher.id,
        subject_id=subject.id,
        type="homework",
        status="active",
    )
    dbsession.add_all([w.lesson, w.homework])
    dbsession.flush()
    w.submission = MaterialSubmission(material_id=w.homework.id, student_id=w.student.id)
    dbsession.add(w.submission)
    dbsession.flush()
    return w


@pytest.fixture
def get(testapp, auth_headers):
    """``get(media, user, status=200, **headers)``; ``user=None`` is anonymous."""

    def fetch(media, user, status=200, method="get", url=None, extra_environ=None, **headers):
        if user is not None:
            headers.update(auth_headers(user))
        url = url or f"/media/{media.storage_name}"
        call = getattr(testapp, method)
        return call(url, headers=headers, status=status, extra_environ=extra_environ)

    return fetch


def problem(response, status: int) -> None:
    assert response.status_int == status
    assert response.content_type == PROBLEM
    assert response.json["status"] == status


# --- visibility matrix ---------------------------------------------------------------------


MATERIAL_MATRIX = [
    ("admin", 200),
    ("teacher", 200),  # the author
    ("student", 200),  # enrolled in the subject
    ("parent", 200),  # of the enrolled student
    ("other_student", 404),
    ("other_parent", 404),
    ("other_teacher", 404),
    ("tutor", 404),
]


@pytest.mark.parametrize(("who", "status"), MATERIAL_MATRIX)
def test_material_file_follows_material_visibility(world, put_media, get, who, status):
    media = put_media("material", world.lesson.id)
    response = get(media, getattr(world, who), status=status)
    if status == 200:
        assert response.body == PDF
    else:
        problem(response, status)


@pytest.mark.parametrize(
    ("who", "status"), [("teacher", 200), ("admin", 200), ("student", 404), ("parent", 404)]
)
def test_draft_material_file_is_seen_by_author_and_admin_only(
    world, put_media, get, dbsession, who, status
):
    world.lesson.status = "draft"
    dbsession.flush()
    get(put_media("material", world.lesson.id), getattr(world, who), status=status)


def test_a_subject_teacher_who_may_replace_the_file_may_read_it(
    world, put_media, get, dbsession, make_user
):
    colleague = make_user("teacher")
    dbsession.add(TeacherSubject(teacher_id=colleague.id, subject_id=world.lesson.subject_id))
    world.lesson.status = "draft"
    dbsession.flush()
    get(put_media("material", world.lesson.id), colleague)


def test_public_material_file_is_seen_by_everyone_signed_in(world, put_media, get, dbsession):
    world.lesson.is_public = True
    dbsession.flush()
    media = put_media("material", world.lesson.id)
    for who in ("other_student", "other_parent", "other_teacher", "tutor"):
        get(media, getattr(world, who))
    problem(get(media, None, status=401), 401)


def test_deleted_material_file_is_seen_by_nobody(world, put_media, get, dbsession):
    media = put_media("material", world.lesson.id)
    world.lesson.deleted_at = dt.datetime.now(dt.timezone.utc)
    dbsession.flush()
    for who in ("admin", "teacher", "student"):
        get(media, getattr(world, who), status=404)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 200),  # their own work
        ("parent", 200),
        ("teacher", 200),  # author of the homework, teaches the subject
        ("admin", 200),
        ("other_student", 404),
        ("other_parent", 404),
        ("other_teacher", 404),
        ("tutor", 404),
    ],
)
def test_submission_file_follows_submission_visibility(world, put_media, get, who, status):
    media = put_media("submission", world.submission.id, name="answer.pdf")
    get(media, getattr(world, who), status=status)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 200),  # themself
        ("teacher", 200),  # teaches them (enrollment)
        ("parent", 200),
        ("admin", 200),
        ("other_student", 404),
        ("other_parent", 404),
        ("other_teacher", 404),
        ("tutor", 404),
    ],
)
def test_avatar_follows_user_visibility(world, put_media, get, who, status):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    media = put_media("user", world.student.id, data=png, content_type="image/png", name="a.png")
    get(media, getattr(world, who), status=status)


def test_anonymous_is_401_before_any_lookup(world, put_media, get):
    media = put_media("material", world.lesson.id)
    response = get(media, None, status=401)
    problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Token"
    problem(get(None, None, status=401, url="/media/../../etc/passwd"), 401)


def test_a_file_of_an_unknown_owner_type_is_404(world, put_media, get):
    get(put_media("lesson_plan", world.lesson.id, kind="material"), world.admin, status=404)


# --- unknown paths and traversal -----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/media/",
        "/media/../../etc/passwd",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/%2Fetc%2Fpasswd",
        "/media//etc/passwd",
        "/media/material/..%2f..%2fconftest.py",
        "/media/material/00/00/" + "0" * 32 + ".pdf",
        "/media/MATERIAL/00/00/" + "0" * 32 + ".pdf",
        "/media/material/00/00/" + "0" * 32 + ".pdf%00.txt",
        "/media/material/00/00/" + "0" * 32 + ".pdf/..",
        "/media/C:%5Cwindows%5Cwin.ini",
    ],
)
def test_traversal_and_unknown_paths_are_404(world, get, path):
    problem(get(None, world.admin, status=404, url=path), 404)


def test_known_name_outside_the_generated_form_is_404(world, put_media, get):
    media = put_media("material", world.lesson.id)
    get(None, world.admin, status=404, url=f"/media/{media.storage_name}/../{media.storage_name}")
    get(None, world.admin, status=404, url=f"/media/./{media.storage_name}")


def test_a_file_on_disk_without_a_row_is_404(world, app, get):
    name = new_storage_name("material", "pdf")
    path = media_path(app.registry.settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PDF)
    get(None, world.admin, status=404, url=f"/media/{name}")


def test_a_row_whose_file_is_gone_is_404(world, app, put_media, get):
    media = put_media("material", world.lesson.id)
    media_path(app.registry.settings, media.storage_name).unlink()
    problem(get(media, world.admin, status=404), 404)


def test_a_symlink_out_of_media_root_is_not_followed(world, app, put_media, get, tmp_path):
    media = put_media("material", world.lesson.id)
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(b"secret")
    path = media_path(app.registry.settings, media.storage_name)
    path.unlink()
    path.symlink_to(outside)
    get(media, world.admin, status=404)


# --- headers -------------------------------------------------------------------------------


def test_a_document_is_an_attachment_with_verified_type_and_cache_validators(
    world, app, put_media, get
):
    media = put_media("material", world.lesson.id, name="Контрольная №1.pdf")
    response = get(media, world.student)
    headers = response.headers
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Length"] == str(len(PDF))
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["ETag"] == f'"{hashlib.sha256(PDF).hexdigest()}"'
    assert headers["Cache-Control"] == "private, no-cache"
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"No1.pdf\"; filename*=UTF-8''"
        "%D0%9A%D0%BE%D0%BD%D1%82%D1%80%D0%BE%D0%BB%D1%8C%D0%BD%D0%B0%D1%8F%20%E2%84%961.pdf"
    )
    mtime = media_path(app.registry.settings, media.storage_name).stat().st_mtime
    assert response.last_modified == dt.datetime.fromtimestamp(int(mtime), dt.timezone.utc)


def test_an_image_is_inline_and_text_says_its_charset(world, put_media, get):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    image = put_media(
        "material", world.lesson.id, data=png, content_type="image/png", name='my "best" photo.png'
    )
    response = get(image, world.student)
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith(
        "inline; filename=\"my _best_ photo.png\"; filename*=UTF-8''my%20%22best%22%20photo.png"
    )
    text = put_media(
        "material",
        world.lesson.id,
        data="Ответ\n".encode(),
        content_type="text/plain",
        name="a.txt",
    )
    response = get(text, world.student)
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")


# --- conditional GET and HEAD --------------------------------------------------------------


def test_if_none_match_gives_304_with_validators(world, put_media, get):
    media = put_media("material", world.lesson.id)
    first = get(media, world.student)
    response = get(media, world.student, status=304, **{"If-None-Match": first.headers["ETag"]})
    assert response.body == b""
    assert response.headers["ETag"] == first.headers["ETag"]
    assert response.headers["Last-Modified"] == first.headers["Last-Modified"]
    get(media, world.student, status=304, **{"If-None-Match": "*"})
    get(media, world.student, status=200, **{"If-None-Match": '"something-else"'})


def test_if_modified_since_gives_304_unless_if_none_match_disagrees(world, put_media, get):
    media = put_media("material", world.lesson.id)
    last_modified = get(media, world.student).headers["Last-Modified"]
    get(media, world.student, status=304, **{"If-Modified-Since": last_modified})
    get(media, world.student, status=200, **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    get(
        media,
        world.student,
        status=200,
        **{"If-Modified-Since": last_modified, "If-None-Match": '"stale"'},
    )
    get(media, world.student, status=200, **{"If-Modified-Since": "not a date"})


@pytest.mark.parametrize(
    "date", ["Sat, 01 Jan 10000 00:00:00 GMT", "Sat, 01 Jan 0000 00:00:00 GMT"]
)
@pytest.mark.parametrize("method", ["get", "head"])
def test_an_if_modified_since_beyond_the_calendar_is_ignored(world, put_media, get, date, method):
    """WebOb raises on a date it cannot convert (was a 500); an invalid one is ignored."""
    media = put_media("material", world.lesson.id)
    get(media, world.student, status=200, method=method, **{"If-Modified-Since": date})


def test_conditional_requests_are_authorized_first(world, put_media, get):
    media = put_media("material", world.lesson.id)
    etag = f'"{media.sha256}"'
    get(media, None, status=401, **{"If-None-Match": etag})
    get(media, world.other_student, status=404, **{"If-None-Match": etag})


def test_head_sends_headers_without_the_body(world, put_media, get):
    media = put_media("material", world.lesson.id)
    response = get(media, world.student, method="head")
    assert response.body == b""
    assert response.headers["Content-Length"] == str(len(PDF))
    assert response.headers["Content-Type"] == "application/pdf"
    get(media, world.other_student, method="head", status=404)


class RecordingFileWrapper:
    """A ``wsgi.file_wrapper`` that remembers how it was used."""

    instances: list[RecordingFileWrapper] = []

    def __init__(self, file, block_size):
        self.file, self.block_size, self.reads = file, block_size, 0
        RecordingFileWrapper.instances.append(self)

    def __iter__(self):
        while chunk := self.file.read(self.block_size):
            self.reads += 1
            yield chunk

    def close(self):
        self.file.close()


def test_files_stream_through_the_servers_file_wrapper(world, put_media, get):
    data = PDF + os.urandom(600 * 1024)
    media = put_media("material", world.lesson.id, data=data)
    RecordingFileWrapper.instances.clear()
    response = get(media, world.student, extra_environ={"wsgi.file_wrapper": RecordingFileWrapper})
    assert response.body == data
    [wrapper] = RecordingFileWrapper.instances
    assert wrapper.block_size < len(data) and wrapper.reads > 1  # blocks, not one big read
    assert wrapper.file.closed
