"""Uploads: material files and avatars, type sniffed from the bytes, size limits, cleanup."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from media_samples import (
    EXE,
    GIF,
    HTML,
    JPEG,
    WEBP,
    cfb_bytes,
    odf_bytes,
    ooxml_bytes,
    pdf_bytes,
    png_bytes,
)
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.audit import AuditEvent
from thebot.catalog.models import Subject, TeacherSubject
from thebot.materials.models import Material
from thebot.media.models import MediaFile
from thebot.media.service import sanitize_filename

PROBLEM = "application/problem+json"
MB = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the world -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)


@pytest.fixture
def media_root(app) -> Path:
    return Path(app.registry.settings["media_root"])


def files_under(root: Path) -> set[str]:
    """Every file under MEDIA_ROOT, temporary ones included."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def count_media(dbsession) -> int:
    return dbsession.scalar(select(func.count()).select_from(MediaFile))


@pytest.fixture
def teacher(make_user):
    return make_user("teacher")


@pytest.fixture
def material(dbsession, teacher):
    subject = Subject(name=f"Physics {teacher.id}")
    dbsession.add(subject)
    dbsession.flush()
    dbsession.add(TeacherSubject(teacher_id=teacher.id, subject_id=subject.id))
    item = Material(
        title="Optics", author_id=teacher.id, subject_id=subject.id, type="lesson", status="draft"
    )
    dbsession.add(item)
    dbsession.flush()
    return item


@pytest.fixture
def upload(testapp, auth_headers, teacher, material):
    """POST one file to the material as its author: ``upload(name, data, status=201)``."""

    def send(name: str, data: bytes, status: int = 201, user=None, target=None, query=""):
        headers = auth_headers(user or teacher)
        url = f"/api/materials/{(target or material).id}/file/{query}"
        return testapp.post(
            url, upload_files=[("file", name, data)], headers=headers, status=status
        )

    return send


def assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_int == status
    assert response.content_type == PROBLEM
    body = response.json
    assert body["status"] == status and body["type"].endswith("/" + slug)
    return body


# --- accepted ---------------------------------------------------------------------------------


def test_real_pdf_is_stored_under_a_generated_name(upload, dbsession, material, media_root):
    data = pdf_bytes()
    response = upload("Lesson 1.pdf", data)
    body = response.json
    file = body["file"]
    assert body["material_id"] == material.id
    assert file["content_type"] == "application/pdf"
    assert file["size"] == len(data)
    assert file["sha256"] == hashlib.sha256(data).hexdigest()
    assert file["original_name"] == "Lesson 1.pdf"
    assert file["url"].startswith("/media/material/") and file["url"].endswith(".pdf")
    assert "Lesson" not in file["url"]
    assert response.headers["Location"].endswith(file["url"])
    stored = media_root / file["url"].removeprefix("/media/")
    assert stored.read_bytes() == data
    dbsession.expire_all()
    assert dbsession.get(Material, material.id).file_id == file["id"]
    row = dbsession.get(MediaFile, file["id"])
    assert (row.kind, row.owner_type, row.owner_id) == ("material", "material", material.id)
    assert row.uploaded_by_id == material.author_id
    assert not list((media_root / ".thebot-uploads").iterdir())  # no temporary file left


def test_a_new_file_replaces_and_deletes_the_previous_one(upload, dbsession, media_root):
    first = upload("v1.pdf", pdf_bytes("one")).json["file"]
    second = upload("v2.pdf", pdf_bytes("two")).json["file"]
    assert first["id"] != second["id"]
    assert not (media_root / first["url"].removeprefix("/media/")).exists()
    assert (media_root / second["url"].removeprefix("/media/")).exists()
    dbsession.expire_all()
    assert dbsession.get(MediaFile, first["id"]) is None
    event = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "material.file_uploaded")
    ).all()[-1]
    assert event.details["replaced_file_id"] == first["id"]


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("essay.docx", ooxml_bytes("document.xml", "word"), DOCX),
        ("slides.pptx", ooxml_bytes("presentation.xml", "ppt"), PPTX),
        ("marks.xlsx", ooxml_bytes("workbook.xml", "xl"), XLSX),
        ("notes.odt", odf_bytes("application/vnd.oasis.opendocument.text"), None),
        ("deck.odp", odf_bytes("application/vnd.oasis.opendocument.presentation"), None),
        ("old.doc", cfb_bytes(("WordDocument", 2), ("\x05SummaryInformation", 2)), None),
        ("old.xls", cfb_bytes(("Workbook", 2)), "application/vnd.ms-excel"),
        ("old.ppt", cfb_bytes(("PowerPoint Document", 2)), "application/vnd.ms-powerpoint"),
        ("diagram.png", png_bytes(4, 4), "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        ("pic.webp", WEBP, "image/webp"),
    ],
)
def test_documents_and_images_are_recognised_from_their_bytes(upload, name, data, mime):
    expected = (
        mime
        or {
            "odt": "application/vnd.oasis.opendocument.text",
            "odp": "application/vnd.oasis.opendocument.presentation",
            "doc": "application/msword",
        }[name.rsplit(".", 1)[1]]
    )
    assert upload(name, data).json["file"]["content_type"] == expected


def test_docx_and_pptx_are_told_apart_by_what_the_zip_holds(upload):
    # Named without an extension: only the archive's content decides.
    assert upload("a", ooxml_bytes("document.xml", "word")).json["file"]["content_type"] == DOCX
    assert upload("b", ooxml_bytes("presentation.xml", "ppt")).json["file"]["content_type"] == PPTX


def test_plain_text_is_accepted_and_gets_its_extension(upload, media_root):
    data = "Задача 1: найдите x.\n\tОтвет: 42\r\n".encode()
    file = upload("notes", data).json["file"]
    assert file["content_type"] == "text/plain"
    assert file["original_name"] == "notes.txt"
    assert upload("answers.md", b"# Answers\n").json["file"]["original_name"] == "answers.md"


def test_client_paths_and_control_characters_never_reach_the_name(upload):
    file = upload("../../etc/\u202epasswd\x00.txt", b"plain words\n").json["file"]
    assert file["original_name"] == "passwd.txt"
    assert ".." not in file["url"] and "passwd" not in file["url"]


def test_sanitize_filename_keeps_the_extension_of_long_names():
    name = sanitize_filename("C:\\Users\\me\\" + "a" * 300 + ".pdf")
    assert len(name) == 200 and name.endswith(".pdf") and "\\" not in name
    assert sanitize_filename(" . ") == ""


# --- rejected ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", b"this is just text pretending to be a PDF\n"),
        ("report.pdf", b"%PDF-1.4\nno trailer, not a document"),
        ("report.pdf", EXE),
        ("report.pdf", ooxml_bytes("document.xml", "word")),
        ("setup.exe", EXE),
        ("page.txt", HTML),
        ("page.html", HTML),
        ("image.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x()</script></svg>"),
        ("archive.zip", odf_bytes("application/x-unknown")),
        ("macro.docx", ooxml_bytes("document.xml", "word", macro=True)),
        ("macro.doc", cfb_bytes(("WordDocument", 2), ("Macros", 1))),
        ("installer.doc", cfb_bytes(("\x05SummaryInformation", 2))),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 100),
        ("binary.bin", bytes(range(256)) * 4),
    ],
)
def test_unaccepted_content_is_415_and_nothing_is_kept(upload, dbsession, media_root, name, data):
    before_files, before_rows = files_under(media_root), count_media(dbsession)
    body = assert_problem(upload(name, data, status=415), 415, "unsupported-media-type")
    assert "PDF document" in body["allowed_types"]
    assert files_under(media_root) == before_files
    assert count_media(dbsession) == before_rows


def test_a_fake_pdf_is_named_in_the_problem(upload):
    body = upload("report.pdf", b"plain text\n", status=415).json
    assert body["detail"] == (
        "The file is named like a PDF document but its content is plain text."
    )


def test_a_file_over_the_limit_is_413_and_nothing_is_kept(upload, dbsession, media_root):
    before_files, before_rows = files_under(media_root), count_media(dbsession)
    data = pdf_bytes() + b"%" * (10 * MB)  # 10 MB + a little: under the 12 MB body limit
    body = assert_problem(upload("big.pdf", data, status=413), 413, "payload-too-large")
    assert body["max_size"] == 10 * MB and "10 MB" in body["detail"]
    assert files_under(media_root) == before_files
    assert count_media(dbsession) == before_rows


def test_the_size_limit_is_a_setting(make_app, client, dbsession, teacher, material, auth_headers):
    small = client(make_app(media_max_upload_size=1024))
    url = f"/api/materials/{material.id}/file/"
    headers = auth_headers(teacher)
    small.post(url, upload_files=[("file", "a.pdf", pdf_bytes())], headers=headers, status=201)
    big = pdf_bytes() + b"%" * 1024
    small.post(url, upload_files=[("file", "b.pdf", big)], headers=headers, status=413)


def test_an_empty_file_is_400(upload):
    body = assert_problem(upload("empty.pdf", b"", status=400), 400, "validation-error")
    assert body["errors"][0]["name"] == "file"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"params": {"title": "x"}}, "file"),
        ({"params": {"title": "x"}, "upload_files": [("file", "a.pdf", b"%PDF")]}, "title"),
        ({"upload_files": [("file", "a.pdf", b"1"), ("file", "b.pdf", b"2")]}, "file"),
        ({"params": {"file": "not a file"}}, "file"),
    ],
)
def test_malformed_uploads_are_400_with_errors(
    testapp, auth_headers, teacher, material, kwargs, name
):
    url = f"/api/materials/{material.id}/file/"
    kwargs.setdefault("content_type", "multipart/form-data")
    response = testapp.post(url, headers=auth_headers(teacher), status=400, **kwargs)
    body = assert_problem(response, 400, "validation-error")
    assert name in {e["name"] for e in body["errors"]}


def test_a_json_body_is_400(testapp, auth_headers, teacher, material):
    url = f"/api/materials/{material.id}/file/"
    response = testapp.post_json(url, {"file": "x"}, headers=auth_headers(teacher), status=400)
    assert assert_problem(response, 400, "validation-error")["errors"][0]["name"] == (
        "Content-Type"
    )


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=xyz", "multipart/form-data; boundary="],
)
def test_a_broken_multipart_body_is_400(testapp, auth_headers, teacher, material, content_type):
    headers = {**auth_headers(teacher), "Content-Type": content_type}
    body = b"--abc\r\nContent-Disposition: form-data; name=file; filename=a.pdf\r\n\r\n%PDF"
    url = f"/api/materials/{material.id}/file/"
    response = testapp.post(url, body, headers=headers, status=400)
    assert_problem(response, 400, "validation-error")


def test_a_query_string_is_400(upload, material):
    response = upload("a.pdf", pdf_bytes(), status=400, target=material, query="?x=1")
    assert assert_problem(response, 400, "validation-error")["errors"][0]["name"] == "x"


# --- who may upload ---------------------------------------------------------------------------


def test_upload_needs_authentication(testapp, material):
    url = f"/api/materials/{material.id}/file/"
    response = testapp.post(url, upload_files=[("file", "a.pdf", pdf_bytes())], status=401)
    assert response.headers["WWW-Authenticate"] == "Token"


def test_only_editors_upload(upload, make_user, dbsession, material, teacher):
    colleague = make_user("teacher")  # teaches the subject: may edit a colleague's material
    dbsession.add(TeacherSubject(teacher_id=colleague.id, subject_id=material.subject_id))
    admin = make_user("admin")
    outsider = make_user("teacher")
    student = make_user("student")
    upload("a.pdf", pdf_bytes(), user=colleague)
    upload("a.pdf", pdf_bytes(), user=admin)
    upload("a.pdf", pdf_bytes(), user=outsider, status=404)  # a draft they cannot see
    upload("a.pdf", pdf_bytes(), user=student, status=404)
    material.status, material.is_public = "active", True
    dbsession.flush()
    assert_problem(
        upload("a.pdf", pdf_bytes(), user=student, status=403), 403, "permission-denied"
    )
    assert_problem(
        upload("a.pdf", pdf_bytes(), user=outsider, status=403), 403, "permission-denied"
    )


def test_unknown_and_deleted_materials_are_404(upload, dbsession, material):
    upload("a.pdf", pdf_bytes(), target=type("M", (), {"id": 999999})(), status=404)
    upload("a.pdf", pdf_bytes(), target=type("M", (), {"id": "abc"})(), status=404)
    material.deleted_at = material.created_at
    dbsession.flush()
    upload("a.pdf", pdf_bytes(), status=404)


# --- avatars ----------------------------------------------------------------------------------


@pytest.fixture
def avatar(testapp, auth_headers):
    def send(user, name, data, status=201, actor=None):
        return testapp.post(
            f"/api/accounts/users/{user.id}/avatar/",
            upload_files=[("file", name, data)],
            headers=auth_headers(actor or user),
            status=status,
        )

    return send


def test_a_user_sets_replaces_reads_and_removes_their_avatar(
    testapp, avatar, auth_headers, make_user, media_root, dbsession
):
    student = make_user("student")
    first = avatar(student, "me.png", png_bytes()).json
    assert first["content_type"] == "image/png" and first["url"].startswith("/media/avatar/")
    second = avatar(student, "me.jpg", JPEG).json
    assert not (media_root / first["url"].removeprefix("/media/")).exists()
    url = f"/api/accounts/users/{student.id}/avatar/"
    assert testapp.get(url, headers=auth_headers(student)).json == second
    testapp.delete(url, headers=auth_headers(student), status=204)
    assert not (media_root / second["url"].removeprefix("/media/")).exists()
    assert_problem(testapp.get(url, headers=auth_headers(student), status=404), 404, "not-found")
    testapp.delete(url, headers=auth_headers(student), status=204)  # idempotent


def test_avatars_are_png_jpeg_or_webp_only(avatar, make_user):
    user = make_user("parent")
    assert avatar(user, "a.webp", WEBP).json["content_type"] == "image/webp"
    avatar(user, "a.gif", GIF, status=415)
    avatar(user, "a.pdf", pdf_bytes(), status=415)
    avatar(user, "a.png", HTML, status=415)


def test_avatar_over_two_megabytes_is_413(avatar, make_user, dbsession, media_root):
    user = make_user("student")
    avatar(user, "ok.png", png_bytes(pad=2 * MB - 200))
    before_files, before_rows = files_under(media_root), count_media(dbsession)
    body = avatar(user, "big.png", png_bytes(pad=2 * MB), status=413).json
    assert body["max_size"] == 2 * MB
    assert files_under(media_root) == before_files and count_media(dbsession) == before_rows


def test_only_the_user_or_an_admin_changes_an_avatar(avatar, make_user, testapp, auth_headers):
    from factories import ParentLinkFactory

    child = make_user("student")
    parent = make_user("parent")
    ParentLinkFactory(student=child, parent=parent)
    admin = make_user("admin")
    stranger = make_user("student")
    avatar(child, "a.png", png_bytes(), actor=admin)
    avatar(child, "a.png", png_bytes(), actor=parent, status=403)  # sees the child, may not edit
    avatar(child, "a.png", png_bytes(), actor=stranger, status=404)
    url = f"/api/accounts/users/{child.id}/avatar/"
    assert testapp.get(url, headers=auth_headers(parent)).json["content_type"] == "image/png"
    testapp.get(url, headers=auth_headers(stranger), status=404)
    testapp.delete(url, headers=auth_headers(parent), status=403)
    testapp.post(url, upload_files=[("file", "a.png", png_bytes())], status=401)


def test_the_temporary_folder_is_hidden_from_backups():
    from thebot.media.service import TMP_DIR

    backups_media = pytest.importorskip("thebot.backups.engine.media")
    assert TMP_DIR.startswith(backups_media.RESERVED_PREFIX)
    assert not os.path.isabs(TMP_DIR)
