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
