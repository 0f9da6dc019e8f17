"""Recorded health checks: the evidence behind uptime/SLA and the status page incidents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, utcnow


class HealthCheck(Base):
    __tablename__ = "health_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # ok | degraded | down
    response_ms: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    # component name -> "ok" | "error" | "disabled"; never error texts (the page is public)
    components: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    __table_args__ = (Index("ix_health_check_checked_at", "checked_at"),)


class Heartbeat(Base):
    """The last sign of life of one ``thebot-worker`` or ``thebot-scheduler`` process.

    Each process upserts its row every ``heartbeat_interval`` seconds and deletes it when it
    stops cleanly; a row that stops moving is a process that died (health shows it as not
    live, and it is pruned after a day). In the database rather than Redis: it works the
    same with or without Redis, and a Redis outage does not make every worker look dead.
    """

    __tablename__ = "heartbeat"

    instance: Mapped[str] = mapped_column(String(64), primary_key=True)  # random per process
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # worker | scheduler
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    queues: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    state: Mapped[str] = mapped_column(String(64), nullable=False, default="running")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (Index("ix_heartbeat_kind_last_seen", "kind", "last_seen"),)
