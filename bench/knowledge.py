"""Knowledge graph reads under load: student graphs and the class overview of a template.

    python bench/knowledge.py                                  # SQLite file in a temp dir
    python bench/knowledge.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench --reset

Seeds one subject with bulk Core inserts: 20 teachers (25 students each), 500 students
with a parent each, 2,000 elements (theory, video, quick questions, text problems) in 200
lessons of 10 (8 required), a template placing the 200 lessons with about 370 dependencies
(a required chain in tens, recommended edges between tens), and the template applied to
all 500 students (100,000 nodes, 185,000 dependencies, 100,000 lesson states: each
student completed a random prefix of the path and started the next lesson). Then runs the
app under waitress (``bench/learning.py``'s server: ``--workers`` processes of
``--threads`` threads) and drives authenticated GETs from ``--clients`` keep-alive clients
(default 16; ``loadgen.py``), ``--requests`` per endpoint, each request as the next user of
a pool (students and parents read their own graph, teachers their students' graphs and
their class overview). Every request of the pool is made once before measuring. Prints
requests/s and p50/p99 latency per endpoint and writes
``bench/results/knowledge-<backend>-<clients>clients-<workers>x<threads>threads.json``.
The issue's target: graph read and class overview p99 < 100 ms at 16 clients.

The class overview caches each student's row under the graph's ``progress_tag`` (replaced
by every change of the student's progress), so after the warm-up its pages come from the
cache. ``--churn N`` re-tags N random student graphs per second while measuring (a
school where N learning actions happen per second; each one makes that student's cached
row stale), and ``--churn -1`` re-tags every graph every 50 ms, so nearly every overview
row is recomputed (the uncached cost).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import loadgen
from learning import (
    app_settings,
    cpu_reference,
    free_port,
    machine_words,
    result_line,
    run_arguments,
    setup_words,
    start_server,
    stop,
)
from learning_seed import settle
from sqlalchemy import Table, func, insert, inspect, select, text

from thebot.accounts import models as accounts
from thebot.catalog import models as catalog
from thebot.knowledge import models as knowledge

HERE = Path(__file__).resolve().parent
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc)
BATCH = 5000
TEACHERS, STUDENTS, LESSONS, PER_LESSON, REQUIRED = 20, 500, 200, 10, 8
SUBJECT, TEMPLATE = 1, 1
TYPES = ("theory", "theory", "theory", "theory", "video", "video", "quick_question")
TYPES += ("quick_question", "quick_question", "text_problem")
CONTENT = {
    "theory": {"markdown": "# Section\n\n" + "Explained step by step. " * 20},
    "video": {"url": "https://video.example/lesson.mp4", "duration_seconds": 420},
    "quick_question": {
        "question": "Which of these are equal to one half?",
        "choices": ["2/4", "3/6", "1/3", "2/5"],
        "correct": [0, 1],
        "explanation": "Divide numerator and denominator by their common factor.",
    },
    "text_problem": {"statement": "Explain, with an example, why the rule holds."},
}


class School:
    """The generated rows, table by table, and who is who."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.rows: dict[Table, list[dict[str, Any]]] = {}
        self.people()
        self.content()
        self.graphs()

    def add(self, model: Any, rows: list[dict[str, Any]]) -> None:
        self.rows.setdefault(model.__table__, []).extend(rows)

    def people(self) -> None:
        self.admin = 1
        self.teachers = list(range(2, 2 + TEACHERS))
        self.students = list(range(100, 100 + STUDENTS))
        self.parents = list(range(1000, 1000 + STUDENTS))
        users = [(self.admin, "admin")]
        users += [(t, "teacher") for t in self.teachers]
        users += [(s, "student") for s in self.students]
        users += [(p, "parent") for p in self.parents]
        self.add(
            accounts.User,
            [
                {
                    "id": uid,
                    "email": f"{role}{uid}@bench.example",
                    "username": f"{role}{uid}",
                    "first_name": role.title(),
                    "last_name": f"No{uid}",
                    "role": role,
                    "is_active": True,
                    "is_staff": role == "admin",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for uid, role in users
            ],
        )
        self.add(
            accounts.StudentProfile,
            [{"user_id": s, "grade": 7, "goal": "", "tutor_id": None} for s in self.students],
        )
        self.add(
            accounts.TeacherProfile,
            [{"user_id": t, "experience_years": 5, "bio": ""} for t in self.teachers],
        )
        self.add(
            accounts.ParentLink,
            [
                {"student_id": s, "parent_id": p, "created_at": NOW}
                for s, p in zip(self.students, self.parents, strict=True)
            ],
        )
        self.add(
            catalog.Subject,
            [
                {
                    "id": SUBJECT,
                    "name": "Mathematics",
                    "description": "",
                    "color": "#4a90d9",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            ],
        )
        self.add(
            catalog.TeacherSubject,
            [
                {"teacher_id": t, "subject_id": SUBJECT, "is_active": True, "created_at": NOW}
                for t in self.teachers
            ],
        )
        self.teacher_of = {s: self.teachers[i % TEACHERS] for i, s in enumerate(self.students)}
        self.add(
            catalog.Enrollment,
            [
                {
                    "student_id": s,
                    "subject_id": SUBJECT,
                    "teacher_id": t,
                    "status": "active",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for s, t in self.teacher_of.items()
            ],
        )

    def content(self) -> None:
        rng, author = self.rng, self.teachers[0]
        elements, lessons, links = [], [], []
        self.max_score: dict[int, int] = {}
        for lesson in range(1, LESSONS + 1):
            lessons.append(
                {
                    "id": lesson,
                    "title": f"Lesson {lesson}",
                    "description": "",
                    "subject_id": SUBJECT,
                    "author_id": author,
                    "shared": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            total = 0
            for position in range(PER_LESSON):
                eid = (lesson - 1) * PER_LESSON + position + 1
                kind = TYPES[position]
                score = rng.randint(1, 5)
                elements.append(
                    {
                        "id": eid,
                        "type": kind,
                        "title": f"{kind} {eid}",
                        "subject_id": SUBJECT,
                        "author_id": author,
                        "difficulty": rng.randint(1, 10),
                        "estimated_minutes": rng.randint(2, 15),
                        "max_score": score,
                        "max_attempts": 3,
                        "tags": ["fractions"] if lesson % 3 == 0 else [],
                        "shared": True,
                        "content": CONTENT[kind],
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
                required = position < REQUIRED
                total += score if required else 0
                links.append(
                    {
                        "id": eid,
                        "lesson_id": lesson,
                        "element_id": eid,
                        "position": position,
                        "required": required,
                    }
                )
            self.max_score[lesson] = total
            lessons[-1].update(  # the stored totals (thebot.knowledge.totals)
                element_count=PER_LESSON,
                required_count=REQUIRED,
                estimated_minutes=sum(e["estimated_minutes"] for e in elements[-PER_LESSON:]),
                max_score=total,
            )
        self.add(knowledge.Element, elements)
        self.add(knowledge.Lesson, lessons)
        self.add(knowledge.LessonElement, links)

    def edges(self) -> list[tuple[int, int, str, int]]:
        """Lesson index pairs: a required chain within each ten, recommended across tens."""
        found = [(i - 1, i, "required", 50) for i in range(1, LESSONS) if i % 10]
        found += [(i - 10, i, "recommended", 0) for i in range(10, LESSONS)]
        return found

    def graphs(self) -> None:
        rng, edges = self.rng, self.edges()
        graphs, nodes, deps, progress = [], [], [], []
        owners = [(TEMPLATE, None)] + [(2 + i, s) for i, s in enumerate(self.students)]
        node_id, dep_id, progress_id = 1, 1, 1
        for graph_id, student in owners:
            graphs.append(
                {
                    "id": graph_id,
                    "kind": "template" if student is None else "student",
                    "title": "Fractions path",
                    "description": "",
                    "subject_id": SUBJECT,
                    "author_id": self.teachers[0],
                    "student_id": student,
                    "template_id": None if student is None else TEMPLATE,
                    "version": 1,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            first = node_id
            for i in range(LESSONS):
                nodes.append(
                    {
                        "id": node_id,
                        "graph_id": graph_id,
                        "lesson_id": i + 1,
                        "x": 120 * (i % 10),
                        "y": 100 * (i // 10),
                        "source_node_id": None if student is None else 1 + i,
                    }
                )
                node_id += 1
            for j, (a, b, kind, pct) in enumerate(edges):
                deps.append(
                    {
                        "id": dep_id,
                        "graph_id": graph_id,
                        "from_node_id": first + a,
                        "to_node_id": first + b,
                        "type": kind,
                        "min_score_percent": pct,
                        "source_dependency_id": None if student is None else j + 1,
                    }
                )
                dep_id += 1
            if student is None:
                continue
            done = rng.randint(0, 60)  # a prefix of the path completed, the next one started
            for i in range(LESSONS):
                best = self.max_score[i + 1]
                if i < done:
                    state, score = "completed", rng.randint(best // 2 + 1, best)
                elif i == done:
                    state, score = "in_progress", 0
                else:
                    state, score = ("unlocked" if i % 10 == 0 else "locked"), 0
                progress.append(
                    {
                        "id": progress_id,
                        "node_id": first + i,
                        "graph_id": graph_id,
                        "student_id": student,
                        "state": state,
                        "score": score,
                        "max_score": best,
                        "unlocked_at": None if state == "locked" else NOW,
                        "started_at": NOW if state in ("in_progress", "completed") else None,
                        "completed_at": NOW if state == "completed" else None,
                        "updated_at": NOW,
                    }
                )
                progress_id += 1
        self.graph_of = {s: 2 + i for i, s in enumerate(self.students)}
        self.add(knowledge.KnowledgeGraph, graphs)
        self.add(knowledge.GraphNode, nodes)
        self.add(knowledge.Dependency, deps)
        self.add(knowledge.LessonProgress, progress)


SEQUENCES = (
    "user_account",
    "subject",
    "knowledge_element",
    "knowledge_lesson",
    "knowledge_lesson_element",
    "knowledge_graph",
    "knowledge_node",
    "knowledge_dependency",
    "knowledge_lesson_progress",
)


def insert_school(engine: Any, school: School) -> None:
    with engine.begin() as conn:
        for table, rows in school.rows.items():
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(table), rows[start : start + BATCH])
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in SEQUENCES:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    settle(engine)


def prepare(settings: dict[str, Any], reset: bool, pool: int) -> dict[str, Any]:
    """Migrate an empty database, seed it, issue tokens with the path each one reads."""
    from sqlalchemy.orm import Session

    from thebot.accounts.credentials.tokens import issue_token
    from thebot.db import get_engine
    from thebot.db.migrate import upgrade

    engine = get_engine(settings)
    if engine.dialect.name == "postgresql":
        if inspect(engine).get_table_names() and not reset:
            sys.exit(f"{engine.url!r} has tables: pass --reset to wipe it (all data is lost)")
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    with engine.begin() as conn:
        upgrade(settings, connection=conn)
    started = time.perf_counter()
    school = School(random.Random(16))  # noqa: S311 (test data, not secrets)
    insert_school(engine, school)
    seconds = time.perf_counter() - started
    students = school.students[:: max(1, STUDENTS // pool)][:pool]
    calls: dict[str, list[tuple[int, str]]] = {
        "student": [(s, f"/api/knowledge/graphs/{school.graph_of[s]}/") for s in students],
        "parent": [
            (
                school.parents[school.students.index(s)],
                f"/api/knowledge/graphs/{school.graph_of[s]}/",
            )
            for s in students
        ],
        "teacher": [
            (school.teacher_of[s], f"/api/knowledge/graphs/{school.graph_of[s]}/")
            for s in students
        ],
        "teacher list": [
            (t, f"/api/knowledge/graphs/?subject={SUBJECT}") for t in school.teachers
        ],
        "overview": [
            (t, f"/api/knowledge/templates/{TEMPLATE}/overview/") for t in school.teachers
        ],
        "overview admin": [  # 50: the default page before it became a class (25)
            (school.admin, f"/api/knowledge/templates/{TEMPLATE}/overview/?limit=50")
        ],
    }
    pairs: dict[str, list[tuple[str, str]]] = {}
    with Session(engine) as session, session.begin():
        users = {u.id: u for u in session.scalars(select(accounts.User))}
        keys: dict[int, str] = {}
        for name, wanted in calls.items():
            for uid, _path in wanted:
                if uid not in keys:
                    keys[uid] = issue_token(session, users[uid], dt.timedelta(days=1))[0]
            pairs[name] = [(path, keys[uid]) for uid, path in wanted]
    with engine.connect() as conn:
        counts = {t.name: conn.scalar(select(func.count()).select_from(t)) for t in school.rows}
    engine.dispose()
    return {"seed_seconds": round(seconds, 1), "rows": counts, "calls": pairs}


ENDPOINTS = (  # (label, calls)
    ("graph read (student)", "student"),
    ("graph read (parent)", "parent"),
    ("graph read (teacher)", "teacher"),
    ("graph list (teacher)", "teacher list"),
    ("class overview (teacher, 25 students)", "overview"),
    ("class overview (admin, first 50 of 500)", "overview admin"),
)


def measure(port: int, calls: list[tuple[str, str]], requests: int, clients: int) -> dict:
    chosen = [calls[i % len(calls)] for i in range(requests)]
    started = time.perf_counter()
    try:
        timings = sorted(
            loadgen.run(
                port, chosen[0][0], [k for _p, k in chosen], clients, paths=[p for p, _k in chosen]
            )
        )
    except (OSError, loadgen.LoadError) as exc:
        raise RuntimeError(str(exc)) from exc
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(timings, n=100)
    return {
        "requests": len(timings),
        "per_second": round(len(timings) / elapsed, 1),
        "p50_ms": round(cuts[49], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(timings[-1], 2),
    }


class Churn:
    """A thread re-tagging student graphs (``--churn``) as learning actions would."""

    def __init__(self, url: str, rate: float):
        import threading

        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.rate = rate
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.changes = 0

    def retag(self, conn: Any, graph_ids: list[int]) -> None:
        rng = random.Random()  # noqa: S311 (test data)
        conn.execute(
            text("UPDATE knowledge_graph SET progress_tag = :tag WHERE id = :id"),
            [{"tag": rng.getrandbits(62), "id": g} for g in graph_ids],
        )
        self.changes += len(graph_ids)

    def loop(self) -> None:
        rng = random.Random(7)  # noqa: S311 (test data)
        graphs = [2 + i for i in range(STUDENTS)]
        while not self.done.is_set():
            wanted = graphs if self.rate < 0 else [rng.choice(graphs)]
            with self.engine.begin() as conn:
                self.retag(conn, wanted)
            self.done.wait(0.05 if self.rate < 0 else 1 / self.rate)

    def __enter__(self) -> Churn:
        if self.rate:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        if self.rate:
            self.thread.join()
        self.engine.dispose()


def run(args: argparse.Namespace, calls: dict[str, list[tuple[str, str]]]) -> dict:
    port = free_port()
    servers = start_server(args, port, cache=True)
    try:
        results: dict[str, dict] = {}
        for label, name in ENDPOINTS:
            if (args.only or "") not in label:
                continue
            try:
                warm = calls[name]  # every user's request once: connections and caches warm
                loadgen.run(
                    port,
                    warm[0][0],
                    [k for _p, k in warm],
                    args.clients,
                    paths=[p for p, _k in warm],
                )
                churn = args.churn if "overview" in label else 0
                with Churn(args.database_url, churn) as moving:
                    results[label] = measure(port, calls[name], args.requests, args.clients)
                if churn:
                    results[label]["retagged_graphs"] = moving.changes
            except RuntimeError as exc:
                results[label] = {"error": str(exc)}
        return results
    finally:
        stop(servers)


def in_process(
    args: argparse.Namespace, media: str, calls: dict[str, list[tuple[str, str]]]
) -> dict:
    """``--in-process N``: no server, no sockets; the app called directly N times per
    endpoint (``profile_request.py``'s WSGI call), as the users of the pool in turn. The
    service time of one request (p50, mean; wall clock and this thread's CPU time), with a
    ``cProfile`` table per endpoint under ``--profile``."""
    import cProfile
    import io
    import pstats

    from profile_request import build_app, call

    app = build_app(args.database_url, media, False, args.redis_url)
    results: dict[str, dict] = {}
    for label, name in ENDPOINTS:
        if (args.only or "") not in label:
            continue
        pairs = calls[name]
        for path, key in pairs:  # warm: statement caches, connections
            call(app, path, key)
        times, size = [], 0
        cpu = time.thread_time()
        for i in range(args.in_process):
            path, key = pairs[i % len(pairs)]
            started = time.perf_counter()
            size = call(app, path, key)
            times.append((time.perf_counter() - started) * 1000)
        cpu = time.thread_time() - cpu
        results[label] = {
            "requests": len(times),
            "p50_ms": round(statistics.median(times), 2),
            "mean_ms": round(statistics.mean(times), 2),
            "cpu_ms": round(cpu * 1000 / len(times), 2),
            "body_bytes": size,
        }
        if args.profile:
            prof = cProfile.Profile(time.thread_time)
            prof.enable()
            for i in range(args.in_process):
                call(app, *pairs[i % len(pairs)])
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(
                os.environ.get("PROFILE_SORT", "cumulative")
            ).print_stats(45)
            print(f"--- {label}\n{out.getvalue()}")
    return results


def in_process_report(summary: dict) -> str:
    lines = [
        f"{summary['backend']}, in process: {summary['requests']} calls per endpoint; "
        f"load average {summary['load_before']} before, {summary['load_after']} after",
        f"{'endpoint':<44} {'p50 ms':>7} {'mean ms':>8} {'CPU ms':>7} {'bytes':>7}",
    ]
    for label, r in summary["results"].items():
        lines.append(
            f"{label:<44} {r['p50_ms']:>7} {r['mean_ms']:>8} {r['cpu_ms']:>7} {r['body_bytes']:>7}"
        )
    return "\n".join(lines)


def report(summary: dict) -> str:
    rows = summary["rows"]
    lines = [
        f"{summary['backend']}: {setup_words(summary)}, {summary['cpus']} CPUs; churn "
        f"{summary['churn']}; seeded in {summary['seed_seconds']} s "
        f"({rows['knowledge_graph']} graphs, {rows['knowledge_node']} nodes, "
        f"{rows['knowledge_dependency']} dependencies, {rows['knowledge_element']} elements); "
        f"{machine_words(summary)}",
        f"{'endpoint':<44} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}",
    ]
    for label, r in summary["results"].items():
        if "error" in r:
            lines.append(f"{label:<44} {r['error']}")
            continue
        lines.append(result_line(label, r))
    return "\n".join(lines)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    run_arguments(parser, pool_help="students whose graphs are read")
    parser.add_argument("--server-log", help="file for the server's stderr (default: dropped)")
    parser.add_argument(
        "--in-process",
        type=int,
        metavar="N",
        help="no server: time N in-process calls per endpoint (service time, CPU per request)",
    )
    parser.add_argument("--profile", action="store_true", help="with --in-process: cProfile")
    parser.add_argument(
        "--churn",
        type=float,
        default=0,
        help="graphs re-tagged per second during the overview runs (-1: all, every 50 ms)",
    )
    args = parser.parse_args()
    from thebot.settings import load_settings

    args.requests = max(args.clients, min(args.requests, 20000))
    with tempfile.TemporaryDirectory(prefix="thebot-bench-") as tmp:
        args.database_url = args.database_url or f"sqlite:///{tmp}/knowledge.sqlite"
        settings = load_settings(app_settings(args.database_url, None, tmp), environ={})
        prepared = prepare(settings, args.reset, args.pool)
        if args.in_process:
            load_before = [round(x, 2) for x in os.getloadavg()]
            results = in_process(args, tmp, prepared["calls"])
            print(
                in_process_report(
                    {
                        "backend": settings["sqlalchemy.url"].get_backend_name(),
                        "requests": args.in_process,
                        "load_before": load_before,
                        "load_after": [round(x, 2) for x in os.getloadavg()],
                        "results": results,
                    }
                )
            )
            return
        summary = {
            "backend": settings["sqlalchemy.url"].get_backend_name(),
            "clients": args.clients,
            "workers": args.workers,
            "threads": args.threads,
            "requests": args.requests,
            "cpus": os.cpu_count(),
            "churn": args.churn,
            "load_before": [round(x, 2) for x in os.getloadavg()],
            "cpu_reference_ms": cpu_reference(),
            "seed_seconds": prepared["seed_seconds"],
            "rows": prepared["rows"],
        }
        summary["results"] = run(args, prepared["calls"])
        summary["load_after"] = [round(x, 2) for x in os.getloadavg()]
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    name = (
        f"knowledge-{summary['backend']}-{args.clients}clients-"
        f"{args.workers}x{args.threads}threads.json"
    )
    (out / name).write_text(json.dumps(summary, indent=2) + "\n")
    print(report(summary))


if __name__ == "__main__":
    cli()
