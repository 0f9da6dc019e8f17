"""``thebot-payments-reconcile production.ini --since DATE [--until DATE]``: compare the
ledger with the payment provider for the payments created in a date range.

Prints every difference; exit status 0 when there is none, 1 otherwise.
"""

from __future__ import annotations

import datetime as dt
import sys

from thebot.scripts.common import fail, parser
from thebot.scripts.console import open_app


def _date(text: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.timezone.utc)


def main(argv: list[str] | None = None) -> int:
    p = parser("Compare the payments ledger with the provider for a date range (UTC days).")
    p.add_argument("--since", type=_date, required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--until", type=_date, help="day after the last, YYYY-MM-DD (default today+1)")
    args = p.parse_args(argv)
    until = args.until or _date(dt.date.today().isoformat()) + dt.timedelta(days=1)
    with open_app(args) as env:
        from thebot.payments.providers import provider_for
        from thebot.payments.providers.base import PaymentsDisabled
        from thebot.payments.reconcile import differences

        request = env["request"]
        with request.tm:
            try:
                provider = provider_for(request)
            except PaymentsDisabled as exc:
                return fail(str(exc), 2)
            found = list(differences(request.dbsession, provider, args.since, until))
        for line in found:
            print(line)
        print(f"{len(found)} differences between {args.since.date()} and {until.date()}")
        return 1 if found else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
