"""End to end: a gateway on a free port, driven by the ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any

import pytest
import websockets
from rt_helpers import nothing_more, receive, redis_only, run
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from thebot.realtime.gateway.connection import CLOSE_REVOKED


def url(gateway: Any, query: str = "") -> str:
    return f"ws://127.0.0.1:{gateway.port}/ws/{query}"


def post_ping(api: Any, headers: dict[str, str], **body: Any) -> None:
    api.post_json("/api/test/realtime-ping/", body, headers=headers, status=200)


def test_an_event_recorded_over_rest_arrives_on_the_socket(api, gateway, new_user):
    user, headers = new_user()
    other, other_headers = new_user()

    async def scenario() -> None:
        async with connect(url(gateway), additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "ping", "ref": 1}))
            assert await receive(ws) == {"id": None, "type": "pong", "data": {"ref": 1}}
            await asyncio.to_thread(post_ping, api, other_headers, to=[user.id], text="hi")
            frame = await receive(ws)
            assert frame["type"] == "test.pinged"
            assert frame["data"] == {"to": [user.id], "text": "hi"}
            assert isinstance(frame["id"], str)

    run(scenario())


def test_a_user_never_receives_another_users_events(api, gateway, new_user):
    alice, alice_headers = new_user()
    bob, bob_headers = new_user()

    async def scenario() -> None:
        async with (
            connect(url(gateway), additional_headers=alice_headers) as a,
            connect(url(gateway), additional_headers=bob_headers) as b,
        ):
            for ws in (a, b):
                await ws.send(json.dumps({"type": "ping"}))
                assert (await receive(ws))["type"] == "pong"
            await asyncio.to_thread(post_ping, api, bob_headers, to=[alice.id], text="for alice")
            assert (await receive(a))["data"]["text"] == "for alice"
            await nothing_more(b)

    run(scenario())


def test_events_not_marked_real_time_stay_off_the_socket(api, gateway, new_user):
    user, headers = new_user()

    async def scenario() -> None:
        async with connect(url(gateway), additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            await receive(ws)
            await asyncio.to_thread(post_ping, api, headers, quiet=True)
            await nothing_more(ws)

    run(scenario())


def test_resume_after_a_forced_disconnect_replays_exactly_the_missed_events_once(
    api, gateway, new_user
):
    user, headers = new_user()

    async def scenario() -> None:
        async with connect(url(gateway), additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            await receive(ws)
            await asyncio.to_thread(post_ping, api, headers, text="one")
            first = await receive(ws)
            assert first["data"]["text"] == "one"
            ws.transport.abort()  # the network drops: no close handshake
        for text in ("two", "three"):
            await asyncio.to_thread(post_ping, api, headers, text=text)
        async with connect(url(gateway), additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "resume", "data": {"last_id": first["id"]}}))
            two, three = await receive(ws), await receive(ws)
            assert [two["data"]["text"], three["data"]["text"]] == ["two", "three"]
            assert first["id"] < two["id"] < three["id"] or len({two["id"], three["id"]}) == 2
            await asyncio.to_thread(post_ping, api, headers, text="four")
            assert (await receive(ws))["data"]["text"] == "four"
            await nothing_more(ws)

    run(scenario())


def test_resume_beyond_the_retention_window_asks_for_a_resync(gateway, new_user):
    user, headers = new_user()
    too_old = f"{int((time.time() - 2 * 86400) * 1000)}-0"

    async def scenario() -> None:
        async with connect(url(gateway), additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "resume", "data": {"last_id": too_old}}))
            frame = await receive(ws)
            assert frame == {"id": None, "type": "resync", "data": {"reason": "expired"}}

    run(scenario())


def test_a_ticket_opens_one_socket_once(api, gateway, new_user):
    user, headers = new_user()
    body = api.post("/api/realtime/ticket/", headers=headers, status=201).json
    assert body["url"].endswith(f"/ws/?ticket={body['ticket']}")
    query = body["url"].split("/ws/", 1)[1]

    async def scenario() -> None:
        async with connect(url(gateway, query), origin="https://app.example.com") as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert (await receive(ws))["type"] == "pong"
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url(gateway, query)):
                pass
        assert refused.value.response.status_code == 401

    run(scenario())


@pytest.mark.parametrize(
    ("origin", "status"),
    [("https://evil.example.net", 403), ("https://app.example.com", 101), (None, 101)],
)
def test_the_origin_must_be_a_cors_origin_or_the_apps_own_host(gateway, new_user, origin, status):
    user, headers = new_user()

    async def scenario() -> int:
        try:
            async with connect(url(gateway), additional_headers=headers, origin=origin):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    assert run(scenario()) == status


def test_a_handshake_without_valid_credentials_is_refused(gateway):
    async def status(**kwargs: Any) -> int:
        try:
            async with connect(url(gateway, kwargs.pop("query", "")), **kwargs):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    assert run(status()) == 401
    assert run(status(query="?ticket=nope")) == 401
    assert run(status(additional_headers={"Authorization": "Token nope"})) == 401


def close_code_after(gateway: Any, rt_app: Any, headers: dict[str, str], change: Any) -> int:
    """Connect, commit ``change`` (a statement) behind the gateway's back, have it re-check
    its sockets now (rather than in ``REALTIME_REVALIDATE_SECONDS``; its own sweep may get
    there first: either closes it), and return the close code the socket got."""

    async def scenario() -> int:
        async with connect(url(gateway), additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            await receive(ws)
            session = rt_app.registry["dbsession_factory"]()
            session.execute(change)
            session.commit()
            session.close()
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(gateway.gateway.revalidate(), gateway.loop)
            )
            with pytest.raises(ConnectionClosed) as exc:
                await receive(ws)
            return exc.value.rcvd.code

    return run(scenario())


def test_a_revoked_token_is_disconnected(gateway, new_user, rt_app):
    from sqlalchemy import update

    from thebot.accounts.models import AuthToken
    from thebot.db import utcnow

    user, headers = new_user()
    revoke = update(AuthToken).where(AuthToken.user_id == user.id).values(revoked_at=utcnow())
    assert close_code_after(gateway, rt_app, headers, revoke) == CLOSE_REVOKED


def test_a_deactivated_user_is_disconnected(gateway, new_user, rt_app):
    from sqlalchemy import update

    from thebot.accounts.models import User

    user, headers = new_user()
    deactivate = update(User).where(User.id == user.id).values(is_active=False)
    assert close_code_after(gateway, rt_app, headers, deactivate) == CLOSE_REVOKED


def test_client_frames_errors_echo_their_ref(gateway, new_user):
    user, headers = new_user()

    async def scenario() -> None:
        async with connect(url(gateway), additional_headers=headers) as ws:
            await ws.send("not json")
            frame = await receive(ws)
            assert frame["type"] == "error" and frame["data"]["status"] == 400
            await ws.send(json.dumps({"type": "nope", "ref": "r1"}))
            frame = await receive(ws)
            assert frame["type"] == "error"
            assert frame["data"]["ref"] == "r1" and frame["data"]["status"] == 400
            assert frame["data"]["type"].endswith("/validation-error")
            await ws.send(json.dumps({"type": "resume", "data": {"last_id": "x"}, "ref": 2}))
            assert (await receive(ws))["data"]["ref"] == 2
            # A frame shaped like the server's ({"id", "type", "data"}): its id is the ref.
            await ws.send(json.dumps({"id": "c9", "type": "nope", "data": {}}))
            assert (await receive(ws))["data"]["ref"] == "c9"
            await ws.send(json.dumps({"id": "c9", "type": "nope", "ref": "r9"}))
            assert (await receive(ws))["data"]["ref"] == "r9"  # "ref" wins

    run(scenario())


def test_an_action_runs_its_handler_as_the_sockets_user(gateway, new_user):
    user, headers = new_user()

    async def scenario() -> None:
        async with connect(url(gateway), additional_headers=headers) as ws:
            message = {"type": "test.echo", "data": {"text": "hello", "publish": True}, "ref": 7}
            await ws.send(json.dumps(message))
            frames = [await receive(ws), await receive(ws)]
            ack = next(f for f in frames if f["type"] == "ack")
            event = next(f for f in frames if f["type"] == "test.pinged")
            assert ack["data"] == {
                "action": "test.echo",
                "ref": 7,
                "result": {"user_id": user.id, "text": "hello"},
            }
            assert event["data"]["text"] == "hello"

    run(scenario())


def test_an_action_error_comes_back_as_the_problem_rest_would_answer(gateway, new_user):
    user, headers = new_user()

    async def scenario() -> None:
        async with connect(url(gateway), additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "test.echo", "data": {}, "ref": "a"}))
            invalid = (await receive(ws))["data"]
            assert invalid["status"] == 400 and invalid["ref"] == "a"
            assert invalid["errors"] == [
                {"location": "body", "name": "text", "description": "Required"}
            ]
            await ws.send(json.dumps({"type": "test.echo", "data": {"text": "conflict"}}))
            conflict = (await receive(ws))["data"]
            assert conflict["status"] == 409 and conflict["said"] == "conflict"
            await ws.send(json.dumps({"type": "test.echo", "data": {"text": "boom"}}))
            boom = (await receive(ws))["data"]
            assert boom["status"] == 500 and "internals" not in json.dumps(boom)

    run(scenario())


def test_health_and_metrics_are_served_on_the_gateway_port(api, gateway, new_user):
    user, headers = new_user()

    async def scenario() -> None:
        async with connect(url(gateway), additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            await receive(ws)
            await asyncio.to_thread(post_ping, api, headers, text="m")
            await receive(ws)
            body = await asyncio.to_thread(fetch, gateway, "/ws/health")
            assert json.loads(body)["status"] == "ready"
            assert json.loads(body)["connections"] == 1
            metrics = await asyncio.to_thread(fetch, gateway, "/ws/metrics", True)
            assert "thebot_realtime_connections 1.0" in metrics
            assert "thebot_realtime_delivery_seconds_count 1.0" in metrics

    run(scenario())


def fetch(gateway: Any, path: str, token: bool = False) -> str:
    from testenv import METRICS_TOKEN

    request = urllib.request.Request(f"http://127.0.0.1:{gateway.port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {METRICS_TOKEN}")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (local)
        return response.read().decode()


def test_frames_over_the_size_limit_close_the_socket(gateway, new_user):
    user, headers = new_user()

    async def scenario() -> int:
        async with connect(url(gateway), additional_headers=headers, max_size=None) as ws:
            await ws.send(json.dumps({"type": "ping", "data": {"x": "y" * 70000}}))
            with pytest.raises(ConnectionClosed) as exc:
                await receive(ws)
            return exc.value.rcvd.code

    assert run(scenario()) == 1009


def test_a_user_holds_at_most_the_connection_cap(gateway, new_user, rt_app):
    user, headers = new_user()
    cap = rt_app.registry.settings["realtime_max_connections_per_user"]

    async def scenario() -> int:
        sockets = [await connect(url(gateway), additional_headers=headers) for _ in range(cap)]
        try:
            async with connect(url(gateway), additional_headers=headers):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code
        finally:
            for ws in sockets:
                await ws.close()

    assert run(scenario()) == 429


@redis_only()
def test_the_connection_cap_counts_the_users_sockets_on_other_gateways(gateway, new_user, rt_app):
    from thebot.realtime.gateway import stats

    user, headers = new_user()
    cap = rt_app.registry.settings["realtime_max_connections_per_user"]
    hub = rt_app.registry["realtime_hub"]
    other = stats.GatewayStats().snapshot([user.id], {user.id: cap - 1})
    stats.publish_snapshot(hub, "elsewhere:1:abc", other)
    try:
        gateway.gateway.remote_counts = stats.remote_counts(hub, gateway.gateway.id)
        assert gateway.gateway.remote_counts == {user.id: cap - 1}

        async def scenario() -> int:
            async with connect(url(gateway), additional_headers=headers):
                try:
                    async with connect(url(gateway), additional_headers=headers):
                        return 101
                except InvalidStatus as exc:
                    return exc.response.status_code

        assert run(scenario()) == 429
    finally:
        stats.remove_snapshot(hub, "elsewhere:1:abc")


@redis_only()
def test_two_gateways_on_one_redis_both_deliver(api, gateway, new_user, rt_app):
    from thebot.realtime.gateway.runner import GatewayThread

    alice, alice_headers = new_user()
    second = GatewayThread(rt_app.registry, "127.0.0.1:0").start()
    try:

        async def scenario() -> None:
            async with (
                connect(url(gateway), additional_headers=alice_headers) as a,
                connect(url(second), additional_headers=alice_headers) as b,
            ):
                for ws in (a, b):
                    await ws.send(json.dumps({"type": "ping"}))
                    await receive(ws)
                await asyncio.to_thread(post_ping, api, alice_headers, text="both")
                fa, fb = await receive(a), await receive(b)
                assert fa == fb and fa["data"]["text"] == "both"
                b.transport.abort()
            # resume on the other process: the stream lives in Redis
            await asyncio.to_thread(post_ping, api, alice_headers, text="missed")
            async with connect(url(second), additional_headers=alice_headers) as b:
                await b.send(json.dumps({"type": "resume", "data": {"last_id": fa["id"]}}))
                assert (await receive(b))["data"]["text"] == "missed"

        run(scenario())
    finally:
        second.stop()


def test_websockets_library_is_the_protocol(gateway):
    # No home-made framing: the server is websockets' own.
    assert websockets.__version__


def test_a_lesson_change_reaches_the_teacher_and_the_student(gateway, new_user, rt_app):
    from thebot.events import record
    from thebot.scheduling.events import LessonChanged

    teacher, teacher_headers = new_user("teacher")
    student, student_headers = new_user()
    outsider, outsider_headers = new_user()

    async def scenario() -> None:
        async with (
            connect(url(gateway), additional_headers=teacher_headers) as t,
            connect(url(gateway), additional_headers=student_headers) as s,
            connect(url(gateway), additional_headers=outsider_headers) as o,
        ):
            for ws in (t, s, o):
                await ws.send(json.dumps({"type": "ping"}))
                await receive(ws)

            def commit() -> None:
                session = rt_app.registry["dbsession_factory"](info={"registry": rt_app.registry})
                event = LessonChanged(teacher_id=teacher.id, student_id=student.id, lesson_id=9)
                record(session, event)
                session.commit()
                session.close()

            await asyncio.to_thread(commit)
            for ws in (t, s):
                frame = await receive(ws)
                assert frame["type"] == "lesson.changed"
                assert frame["data"]["lesson_id"] == 9
            await nothing_more(o)

    run(scenario())


@redis_only()
def test_after_the_hub_subscription_drops_the_sockets_catch_up(api, gateway, new_user):
    user, headers = new_user()
    hub = gateway.gateway.hub

    async def scenario() -> None:
        async with connect(url(gateway), additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            await receive(ws)
            await asyncio.to_thread(post_ping, api, headers, text="seen")
            await receive(ws)
            # The gateway stops hearing the channel (as when Redis drops the connection)...
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(
                    hub.stop(gateway.gateway.on_published), gateway.loop
                )
            )
            await asyncio.to_thread(post_ping, api, headers, text="while away")
            await nothing_more(ws)
            # ...and once back, replays each socket's stream from its last id.
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(
                    hub.start(gateway.gateway.on_published, gateway.gateway.catch_up),
                    gateway.loop,
                )
            )
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(gateway.gateway.catch_up(), gateway.loop)
            )
            assert (await receive(ws))["data"]["text"] == "while away"
            await nothing_more(ws)

    run(scenario())
