"""Two notifications for one payment at the same moment grant once (real commits, threads).

The app has its own engine on a scratch database (PostgreSQL with
``THEBOT_TEST_DATABASE_URL``, else a SQLite file). Both requests fetch the provider's object
and then meet at a barrier, so both reach the row lock with "succeeded" in hand: the lock
(``SELECT ... FOR UPDATE``) makes the second one see the first one's result and do nothing.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
import webtest
from payments_support import YOOKASSA_IP
from sqlalchemy import func, select

from thebot.payments.ledger.models import LedgerEntry
from thebot.payments.payments.models import Payment
from thebot.payments.providers import FACTORY_KEY


@pytest.fixture(scope="module")
def own_app(make_app, scratch_database_url, fake_yookassa):
    app = make_app(
        own_engine=True,
        database_url=scratch_database_url,
        auto_migrate="true",
        rate_limit_enabled="false",
        payment_provider="yookassa",
        yookassa_shop_id="shop-1",
        yookassa_secret_key="test-secret",
        yookassa_api_url=fake_yookassa.url,
        yookassa_backoff="0",
    )
    yield app
    app.registry["dbengine"].dispose()


def test_two_webhooks_at_once_grant_once(own_app: Any, yk: Any) -> None:
    provider_id = f"yk-{uuid.uuid4()}"
    yk.payments[provider_id] = {
        "id": provider_id,
        "status": "succeeded",
        "amount": {"value": "5000.00", "currency": "RUB"},
        "metadata": {},
    }
    with own_app.registry["dbsession_factory"]() as session, session.begin():
        payment = Payment(
            purpose="invoice",
            amount=Decimal("5000.00"),
            currency="RUB",
            provider="yookassa",
            provider_payment_id=provider_id,
            idempotence_key=f"thebot-payment-race-{provider_id}",
        )
        session.add(payment)
        session.flush()
        payment_id = payment.id

    from thebot.payments.providers.yookassa import YooKassaClient, YooKassaProvider

    barrier = threading.Barrier(2, timeout=2)

    class Racing(YooKassaProvider):
        def get_payment(self, payment_id: str) -> Any:
            found = super().get_payment(payment_id)
            # Both have fetched before either takes the lock (on SQLite the second request
            # waits for the database before fetching: the barrier breaks, no matter).
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
            return found

    def factory(request: Any) -> Any:
        client = YooKassaClient(
            shop_id="shop-1", secret_key="test-secret", api_url=yk.url, backoff=0
        )
        return Racing(client)

    own_app.registry[FACTORY_KEY] = factory
    try:
        api = webtest.TestApp(
            own_app, extra_environ={"HTTP_HOST": "testserver", "REMOTE_ADDR": YOOKASSA_IP}
        )
        body = {
            "type": "notification",
            "event": "payment.succeeded",
            "object": {"id": provider_id},
        }
        answers: list[Any] = []

        def send() -> None:
            answers.append(api.post_json("/api/payments/webhooks/yookassa/", body).json)

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        del own_app.registry[FACTORY_KEY]

    assert sorted(a["status"] for a in answers) == ["applied", "unchanged"]
    with own_app.registry["dbsession_factory"]() as session:
        charges = session.scalar(
            select(func.count()).where(
                LedgerEntry.payment_id == payment_id, LedgerEntry.kind == "charge"
            )
        )
        assert charges == 1
        assert session.get(Payment, payment_id).status == "succeeded"


def test_two_renewals_of_one_subscription_at_once_charge_once(own_app: Any, yk: Any) -> None:
    import datetime as dt

    from thebot.accounts.models import User
    from thebot.catalog.models import Enrollment, Subject
    from thebot.payments.prices.models import Price
    from thebot.payments.providers.yookassa import YooKassaClient, YooKassaProvider
    from thebot.payments.subscriptions import service
    from thebot.payments.subscriptions.models import Subscription

    registry = own_app.registry
    tag = uuid.uuid4().hex[:8]
    now = dt.datetime.now(dt.timezone.utc)
    with registry["dbsession_factory"]() as session, session.begin():
        people = {}
        for role in ("parent", "student", "teacher"):
            people[role] = User(
                username=f"{role}-{tag}", email=f"{role}-{tag}@x.example", role=role
            )
            session.add(people[role])
        subject = Subject(name=f"Maths {tag}")
        session.add(subject)
        session.flush()
        enrollment = Enrollment(
            student_id=people["student"].id,
            teacher_id=people["teacher"].id,
            subject_id=subject.id,
            status="active",
        )
        price = Price(
            kind="subscription",
            title="Monthly",
            subject_id=subject.id,
            amount=Decimal("6000.00"),
            period_days=30,
        )
        session.add_all([enrollment, price])
        session.flush()
        item = Subscription(
            status="active",
            enrollment_id=enrollment.id,
            price_id=price.id,
            payer_id=people["parent"].id,
            student_id=people["student"].id,
            teacher_id=people["teacher"].id,
            amount=Decimal("6000.00"),
            period_days=30,
            current_period_end=now - dt.timedelta(minutes=5),
            next_charge_at=now - dt.timedelta(minutes=5),
            payment_method_id="pm-saved-card",
        )
        session.add(item)
        session.flush()
        subscription_id = item.id

    provider = YooKassaProvider(
        YooKassaClient(shop_id="shop-1", secret_key="test-secret", api_url=yk.url, backoff=0)
    )
    barrier = threading.Barrier(2, timeout=5)
    results: list[Any] = []

    def renew() -> None:
        session = registry["dbsession_factory"](info={"registry": registry})
        try:
            barrier.wait()
            with session.begin():
                # SQLite: take the write lock first, as request sessions do (thebot.db).
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
                payment = service.renew(session, provider, subscription_id, now)
                results.append(payment.id if payment is not None else None)
        finally:
            session.close()

    threads = [threading.Thread(target=renew) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results, key=lambda r: r is None)[1] is None  # one charged, one did nothing
    assert len(yk.posts("/payments")) == 1
    with registry["dbsession_factory"]() as session:
        item = session.get(Subscription, subscription_id)
        assert item.current_period_end > now + dt.timedelta(days=29)
        charged = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .join(Payment, Payment.id == LedgerEntry.payment_id)
            .where(Payment.subscription_id == subscription_id, LedgerEntry.kind == "charge")
        )
        assert charged == 1
