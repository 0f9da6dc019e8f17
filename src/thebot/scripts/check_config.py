"""``thebot-check-config production.ini [--live]``: the operator's pre-flight check.

Exit status: 0 when start-up would accept the configuration (and, with ``--live``, every
service answers, the database is at the head migration and the directories are writable);
1 on any problem; 2 when the ini cannot be read; 3 when a service (database, Redis) is down.
"""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Any

from thebot.scripts import preflight
from thebot.scripts.common import parser, read_settings
from thebot.scripts.console import check_ini, operator_errors
from thebot.settings import check_settings

DISTRIBUTION = "thebot"
# What our setup.py writes into the distribution's metadata. The classifier is refused by
# PyPI on upload, so a distribution that carries it never came from the public index (where
# the name ``thebot`` belongs to an unrelated project).
MARKER_CLASSIFIER = "Private :: Do Not Upload"
AUTHOR = "THE_BOT developers"
HOME_PAGE = "https://thebot.example/"


def distribution_warnings(meta: Any = None) -> list[str]:
    """A warning when the installed ``thebot`` distribution is not this project's
    (``meta``: its metadata, read from the environment when not given)."""
    if meta is None:
        try:
            meta = metadata.metadata(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            return [
                "No installed distribution named 'thebot' provides this code: install the "
                "wheel (pip install thebot-<version>-py3-none-any.whl) or from your private "
                "index (pip install --index-url <private> thebot)."
            ]
    differences = []
    if MARKER_CLASSIFIER not in (meta.get_all("Classifier") or []):
        differences.append(f"no {MARKER_CLASSIFIER!r} classifier")
    if meta.get("Author") != AUTHOR:
        differences.append(f"author {meta.get('Author')!r}")
    urls = [meta.get("Home-page")] + [
        entry.split(",", 1)[-1].strip() for entry in meta.get_all("Project-URL") or []
    ]
    if HOME_PAGE not in urls:
        differences.append(f"home page {meta.get('Home-page')!r}")
    if not differences:
        return []
    return [
        f"The installed distribution 'thebot' {meta.get('Version')} is not THE_BOT "
        f"({'; '.join(differences)}): it probably came from the public index, where the name "
        "belongs to another project. Reinstall from the wheel or your private index "
        "(pip install --index-url <private> thebot), never from pypi.org."
    ]


def main(argv: list[str] | None = None) -> int:
    p = parser("Report every configuration problem start-up would refuse, plus warnings.")
    p.add_argument(
        "--live",
        action="store_true",
        help="also connect to the database and Redis (configured timeouts), read the "
        "migration state and try writing in MEDIA_ROOT, BACKUP_DIR, LOG_DIR and MAIL_DIR; "
        "exit 3 when a service is down",
    )
    args = p.parse_args(argv)
    with operator_errors(args):  # a missing ini or a value that is not valid: one line, exit 2
        check_ini(args.config_uri)
        settings = read_settings(args.config_uri, logging=False)
    errors, warnings = check_settings(settings)
    for warning in distribution_warnings() + warnings:
        print(f"WARNING: {warning}")
    for error in errors:
        print(f"ERROR: {error}")
    if errors:
        print(f"{len(errors)} problem(s): start-up would refuse this configuration.")
    else:
        print("OK: start-up would accept this configuration.")
    if not args.live:
        return 1 if errors else 0
    return live(settings, errors)


def live(settings: dict[str, Any], errors: list[str]) -> int:
    print(
        f"Live checks, as this user (timeouts: database {settings['db_connect_timeout']} s, "
        f"Redis {settings['redis_timeout']} s):"
    )
    findings = preflight.live_checks(settings)
    for finding in findings:
        print(finding.line())
    code = preflight.exit_code(findings)
    failed = [f for f in findings if f.status in (preflight.ERROR, preflight.DOWN)]
    down = [f for f in findings if f.status == preflight.DOWN]
    if down:
        print(f"{len(down)} service(s) down: nothing can start until they answer.")
    elif failed:
        print(f"{len(failed)} live problem(s).")
    else:
        print("OK: the live checks found no problem.")
    return code or (1 if errors else 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
