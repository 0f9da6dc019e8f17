"""``thebot-init-config DIR``: write development.ini and production.ini from the package.

For operators who installed the wheel: the ini files and the alembic migrations ship inside
the distribution, so no checkout is needed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from importlib import resources

from thebot.scripts.common import fail
from thebot.scripts.console import operator_errors
from thebot.settings import generate_secret_key

FILES = ("development.ini", "production.ini")


def render(name: str) -> str:
    templates = resources.files("thebot").joinpath("config_templates")
    text = templates.joinpath(name).read_text(encoding="utf-8")
    if name == "development.ini":
        text = re.sub(r"(?m)^secret_key = .*$", f"secret_key = dev-{generate_secret_key()}", text)
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write development.ini and production.ini into DIR.")
    p.add_argument("directory")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument(
        "--verbose", action="store_true", help="print the traceback of an error, not one line"
    )
    args = p.parse_args(argv)
    if os.path.exists(args.directory) and not os.path.isdir(args.directory):
        return fail(f"{args.directory} is a file: pass the directory to write the ini files into")
    with operator_errors(args):
        os.makedirs(args.directory, exist_ok=True)
        for name in FILES:
            path = os.path.join(args.directory, name)
            if os.path.exists(path) and not args.force:
                print(f"{path} exists; keeping it (use --force to overwrite)", file=sys.stderr)
                continue
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(render(name))
            print(f"wrote {path}")
    print("next: pserve development.ini  (or: thebot-check-config production.ini)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
