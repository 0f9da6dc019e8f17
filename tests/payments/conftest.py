"""Fixtures of the payments tests: the fake YooKassa, an app using it, a family to bill."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fake_yookassa import FakeYooKassa
from payments_support import YOOKASSA_IP, invoice_body


@pytest.fixture(scope="session")
def fake_yookassa() -> Iterator[FakeYooKassa]:
    server = FakeYooKassa().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def yookassa_app(make_app: Any, fake_yookassa: FakeYooKassa) -> Any:
    return make_app(
        payment_provider="yookassa",
        yookassa_shop_id="shop-1",
        yookassa_secret_key="test-secret",
        yookassa_api_url=fake_yookassa.url,
        yookassa_backoff="0",
        yookassa_timeout="2",
        rate_limit_enabled="false",
    )


@pytest.fixture
def yk(fake_yookassa: FakeYooKassa) -> Iterator[FakeYooKassa]:
    fake_yookassa.reset()
    yield fake_yookassa
    fake_yookassa.reset()


@pytest.fixture
def ykapp(yookassa_app: Any, dbsession: Any, client: Any, yk: FakeYooKassa) -> Any:
    return client(yookassa_app)


@pytest.fixture
def hook(yookassa_app: Any, client: Any, dbsession: Any) -> Any:
    """``hook(event, object_id)``: a notification from YooKassa's address."""
    webhook_client = client(yookassa_app, REMOTE_ADDR=YOOKASSA_IP)

    def send(event: str, object_id: str, **kwargs: Any) -> Any:
        body = {"type": "notification", "event": event, "object": {"id": object_id}}
        return webhook_client.post_json(
            "/api/payments/webhooks/yookassa/", body, expect_errors=True, **kwargs
        )

    return send


@pytest.fixture
def family(make_user: Any, dbsession: Any) -> SimpleNamespace:
    """Tutor T tutors student S (parent P); teacher E teaches S. Unrelated: S2, P2, T2."""
    from factories import EnrollmentFactory, ParentLinkFactory, SubjectFactory

    admin = make_user("admin")
    tutor = make_user("tutor")
    teacher = make_user("teacher")
    student = make_user("student", profile={"tutor_id": tutor.id})
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    tutor2 = make_user("tutor")
    student2 = make_user("student", profile={"tutor_id": tutor2.id})
    parent2 = make_user("parent")
    ParentLinkFactory(student=student2, parent=parent2)
    subject = SubjectFactory()
    enrollment = EnrollmentFactory(
        student_id=student.id, subject_id=subject.id, teacher_id=teacher.id
    )
    dbsession.flush()
    return SimpleNamespace(
        A=admin,
        T=tutor,
        E=teacher,
        S=student,
        P=parent,
        T2=tutor2,
        S2=student2,
        P2=parent2,
        subject=subject,
        enrollment=enrollment,
    )


@pytest.fixture
def sent_invoice(auth_headers: Any, family: SimpleNamespace) -> Any:
    """``sent_invoice(app)``: an invoice of 5000.00 by T for S, sent; returns its body."""

    def make(api: Any, *lines: tuple[str, int, str]) -> dict[str, Any]:
        headers = auth_headers(family.T)
        made = api.post_json(
            "/api/payments/invoices/", invoice_body(family.S.id, *lines), headers=headers
        ).json
        return api.post_json(
            f"/api/payments/invoices/{made['id']}/send/", {}, headers=headers
        ).json

    return make
