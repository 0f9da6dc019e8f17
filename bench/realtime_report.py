"""Reading and recording ``bench/realtime.py`` runs: the gateway histogram, percentiles,
the rows of ``bench/RESULTS.md``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHAT_HEADER = "### Chat messages over REST"


def histogram(text: str) -> tuple[list[tuple[float, float]], float, float]:
    """Cumulative buckets, count and sum of ``thebot_realtime_delivery_seconds``."""
    buckets, count, total = [], 0.0, 0.0
    for line in text.splitlines():
        if line.startswith("thebot_realtime_delivery_seconds_bucket"):
            bound = line.split('le="')[1].split('"')[0]
            buckets.append(
                (float("inf") if bound == "+Inf" else float(bound), float(line.split()[-1]))
            )
        elif line.startswith("thebot_realtime_delivery_seconds_count"):
            count = float(line.split()[-1])
        elif line.startswith("thebot_realtime_delivery_seconds_sum"):
            total = float(line.split()[-1])
    return buckets, count, total


def bucket_quantile(buckets: list[tuple[float, float]], q: float) -> str:
    total = buckets[-1][1] if buckets else 0
    for bound, cumulative in buckets:
        if total and cumulative >= q * total:
            return f"<= {bound * 1000:.0f} ms" if bound != float("inf") else "> 10 s"
    return "n/a"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def record_run(s: dict[str, Any]) -> None:
    """Add the run to ``bench/RESULTS.md``: a chat run after the last row of the table of
    "Chat messages over REST", an events run after the events table."""
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{s['cpus']} CPU, load {s['load_before'][0]}→{s['load_after'][0]}"
    latency = f"{s['client_p50_ms']} / {s['client_p99_ms']} ms"
    if s["mode"] == "chat":
        row = (
            f"| {when} | {s['clients']} / {s['rooms']} | {s['gateways']} / "
            f"{s['web_processes']} | {s['rate_per_s']:.0f} → {s['sent_per_s']:.0f} "
            f"| {s['frames_received']} | {latency} | {s['gateway_p50']} / {s['gateway_p99']} "
            f"({s['gateway_mean_ms']} ms) | {s['lost']} | {s['duplicates']} "
            f"| {s['rss_per_connection_kb']} KB | {machine} |\n"
        )
    else:
        row = (
            f"| {when} | {s['clients']} / {s['rooms']} | {s['gateways']} "
            f"| {s['rate_per_s']:.0f} | {s['frames_per_s']:.0f} | {latency} "
            f"| {s['gateway_p50']} / {s['gateway_p99']} | {s['lost']} | {s['duplicates']} "
            f"| {s['rss_per_connection_kb']} KB | {machine} |\n"
        )
    path = HERE / "RESULTS.md"
    text = path.read_text()
    header = "## Real-time gateway"
    if header not in text:
        text = text.rstrip("\n") + "\n\n" + SECTION + TABLE_HEAD
    chat_at = text.find(CHAT_HEADER)
    if chat_at < 0:
        text = text.rstrip("\n") + "\n" + row
    elif s["mode"] == "chat":  # after the last row of the chat section's first table
        end = _table_end(text, chat_at)
        text = text[:end] + row + text[end:]
    else:
        text = text[:chat_at].rstrip("\n") + "\n" + row + "\n" + text[chat_at:]
    path.write_text(text)


def _table_end(text: str, start: int) -> int:
    """The offset just after the last row of the first table at or after ``start``."""
    lines = text[start:].splitlines(keepends=True)
    offset, in_table = start, False
    for line in lines:
        if line.startswith("|"):
            in_table = True
        elif in_table:
            return offset
        offset += len(line)
    return offset


SECTION = """## Real-time gateway

`bench/realtime.py`: N clients connected to `thebot-realtime` (Redis hub, PostgreSQL), one
room of N/rooms members each; two publisher processes commit `bench.event` domain events at
the given total rate through the real publish path (outbox row in the transaction,
after-commit relay, Redis streams + channel, gateway). *client* latency is record → frame
received in the bench process (it includes the commit and the client loop's own
scheduling, all on the same 2 cores); *gateway* latency is the gateway's histogram of
commit → frame written (bucket bounds). Lost = expected (event, member) pairs never
received; RSS per connection = gateway RSS after connecting minus before, over N.

```
python bench/realtime.py --clients 1000 --rooms 100 --rate 200 --seconds 30 --record
```

"""
TABLE_HEAD = (
    "| run | clients / rooms | gateways | events/s | frames/s | client p50 / p99 "
    "| gateway p50 / p99 | lost | dup | RSS/conn | machine |\n"
    "| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | --- |\n"
)
