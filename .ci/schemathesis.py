#!/usr/bin/env python3
"""Schemathesis against a live ``pserve`` for each role: no 5xx, no answer the OpenAPI
document does not describe (status, content type, body).

    python .ci/schemathesis.py                       # SQLite in a temporary directory
    python .ci/schemathesis.py --database-url postgresql+psycopg://postgres@127.0.0.1/x \
        --redis-url redis://127.0.0.1:6379/13

A copy of ``development.ini`` in a temporary directory (its SQLite file, media and mail
live there) listens on 127.0.0.1; ``thebot-migrate`` and ``thebot-create-demo-data`` seed it
and the demo passwords are read from the latter's output. Each role (anonymous, admin,
teacher, tutor, student, parent) logs in and runs ``schemathesis run`` with a bounded
number of examples per operation (about four minutes in all on two cores). Exit status: 0
only when every role's run passed and the server logged no error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("anonymous", "admin", "teacher", "tutor", "student", "parent")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
# Operations that would end the run's own credentials or replace the database under it.
EXCLUDED_PATHS = (
    "/api/auth/logout/",
    "/api/auth/refresh/",
    "/api/auth/change-password/",
    "/api/system/backups/restore/",
)
DEMO_LINE = re.compile(r"^\s*(admin|teacher|tutor|student|parent)\s+(\S+)\s+\S+@\S+\s+(\S+)\s*$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tool(name: str) -> str:
    """A console script of this virtualenv (the one running this file)."""
    found = Path(sys.executable).with_name(name)
    return str(found) if found.exists() else name


def prepare(workdir: Path, port: int) -> Path:
    ini = (ROOT / "development.ini").read_text()
    ini = re.sub(r"(?m)^host = .*$", "host = 127.0.0.1", ini)
    ini = re.sub(r"(?m)^http_port = .*$", f"http_port = {port}", ini)
    ini = re.sub(r"(?m)^scheduler_in_process = .*$", "scheduler_in_process = false", ini)
    path = workdir / "contract.ini"
    path.write_text(ini)
    return path


def seed(ini: Path, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Migrate and create the demo accounts; their passwords are printed once, by whichever
    step creates them (the app's first start in development, or the script)."""
    output = ""
    for script in ("thebot-migrate", "thebot-create-demo-data"):
        done = subprocess.run(
            [tool(script), str(ini)],
            check=True,
            env=env,
            capture_output=True,
            text=True,
            cwd=ini.parent,
        )
        output += done.stdout + done.stderr
    accounts = {m[1]: (m[2], m[3]) for m in map(DEMO_LINE.match, output.splitlines()) if m}
    missing = set(ROLES) - {"anonymous"} - set(accounts)
    if missing:
        raise SystemExit(f"demo accounts without a password in the output: {sorted(missing)}")
    return accounts


def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"pserve exited with {server.returncode}")
        try:
            live = f"{base}/api/system/health/live/"  # base: http://127.0.0.1 only
            with urllib.request.urlopen(live, timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("pserve did not answer in time")


def call(base: str, method: str, path: str, token: str | None, body: object = None) -> dict:
    """One JSON request; the decoded answer (``{}`` for an empty one)."""
    request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
        f"{base}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Token {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        raw = answer.read()
    return json.loads(raw) if raw else {}


def login(base: str, username: str, password: str) -> str:
    body = {"login": username, "password": password}
    return str(call(base, "POST", "/api/auth/login/", None, body)["token"])


def populate(base: str, tokens: dict[str, str]) -> None:
    """Objects for the generated requests to find (ids are small integers): a subject with
    the demo teacher, the demo student enrolled, a material, a lesson, an assignment with
    a submission, a report. Each role's run then meets real objects, not only 404s."""
    me = {role: call(base, "GET", "/api/auth/me/", token)["id"] for role, token in tokens.items()}
    admin, teacher, tutor, student = (tokens[r] for r in ("admin", "teacher", "tutor", "student"))
    start = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    subject = call(base, "POST", "/api/materials/subjects/", admin, {"name": "Mathematics"})
    sid = subject["id"]
    call(
        base,
        "POST",
        f"/api/materials/subjects/{sid}/teachers/",
        admin,
        {"teacher_id": me["teacher"]},
    )
    call(
        base,
        "POST",
        "/api/materials/enrollments/",
        admin,
        {"student_id": me["student"], "subject_id": sid, "teacher_id": me["teacher"]},
    )
    material = call(
        base,
        "POST",
        "/api/materials/",
        teacher,
        {"title": "Fractions", "subject_id": sid, "type": "lesson", "status": "active"},
    )
    call(
        base,
        "POST",
        f"/api/materials/{material['id']}/assign/",
        teacher,
        {"student_ids": [me["student"]]},
    )
    call(base, "POST", f"/api/materials/{material['id']}/comments/", student, {"body": "Hello"})
    call(
        base,
        "POST",
        "/api/scheduling/lessons/",
        teacher,
        {
            "student_id": me["student"],
            "subject_id": sid,
            "timezone": "Europe/Moscow",
            "start": (start + dt.timedelta(days=2)).isoformat(),
            "end": (start + dt.timedelta(days=2, hours=1)).isoformat(),
        },
    )
    assignment = call(
        base,
        "POST",
        "/api/assignments/",
        teacher,
        {
            "title": "Homework 1",
            "subject_id": sid,
            "student_ids": [me["student"]],
            "due_at": (start + dt.timedelta(days=7)).isoformat(),
        },
    )
    call(base, "POST", f"/api/assignments/{assignment['id']}/publish/", teacher, {})
    call(
        base,
        "POST",
        f"/api/assignments/{assignment['id']}/submissions/",
        student,
        {"text": "My answers"},
    )
    today = start.date()
    call(
        base,
        "POST",
        "/api/reports/",
        tutor,
        {
            "student_id": me["student"],
            "period_start": (today - dt.timedelta(days=7)).isoformat(),
            "period_end": today.isoformat(),
        },
    )


def run_role(base: str, role: str, token: str | None, args: argparse.Namespace) -> int:
    command = [
        tool("schemathesis"),
        "run",
        f"{base}/api/openapi.json",
        "--url",
        base,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing"
        if role in args.coverage_roles.split(",")
        else "examples,fuzzing",
        "--exclude-path-regex",
        "^/api/test/",
        *(arg for path in EXCLUDED_PATHS for arg in ("--exclude-path", path)),
        "--request-timeout",
        "30",
        "--warnings",
        "off",
    ]
    if token:
        command += ["--header", f"Authorization: Token {token}"]
    print(f"\n== schemathesis as {role}", flush=True)
    return subprocess.run(command, check=False, cwd=args.workdir).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in the temporary directory")
    parser.add_argument("--redis-url", help="default: none (memory cache, in-process tasks)")
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    # The coverage phase (boundary values, wrong types, odd content types: ~50 cases per
    # operation) runs for the role that reaches the most operations; fuzzing for every role.
    parser.add_argument("--coverage-roles", default="admin")
    parser.add_argument("--roles", default=",".join(ROLES))
    args = parser.parse_args()

    # Everything a run writes (backups, schemathesis' cache) stays in its own directory.
    workdir = args.workdir = Path(tempfile.mkdtemp(prefix="thebot-contract-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ini = prepare(workdir, port)
    env = {**os.environ, "RATE_LIMIT_ENABLED": "false"}  # a fuzzer is not an abuser here
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    # The web process only enqueues, as in production (where thebot-worker runs the tasks):
    # the contract is about HTTP answers, and development's in-process task threads can
    # crash the server when a run starts backups and verifications concurrently.
    env["TASK_BROKER"] = "redis" if args.redis_url else "stub"
    accounts = seed(ini, env)
    log = (workdir / "pserve.log").open("w")
    server = subprocess.Popen(
        [tool("pserve"), str(ini)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir
    )
    failed: list[str] = []
    try:
        wait_until_up(base, server)
        tokens = {role: login(base, *credentials) for role, credentials in accounts.items()}
        populate(base, tokens)
        for role in args.roles.split(","):
            if run_role(base, role, tokens.get(role), args) != 0:
                failed.append(role)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    # Requests that failed inside the app (a 5xx the checks saw, or one they could not see).
    logged = (workdir / "pserve.log").read_text().splitlines()
    errors = [line for line in logged if "thebot.errors - unhandled error" in line]
    if errors:
        print("\n== server errors logged\n" + "\n".join(errors[:50]))
    if failed or errors:
        print(f"\nFAILED for: {', '.join(failed) or '-'}; files kept in {workdir}")
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    print("\nschemathesis: every role passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
