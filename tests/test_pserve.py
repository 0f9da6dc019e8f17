"""``pserve development.ini`` starts with no services and answers over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from live_pserve import free_port, running_pserve

REPO = Path(__file__).resolve().parents[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http only)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.slow
def test_pserve_development_ini_serves_probes_and_status_page(tmp_path):
    port = free_port()
    ini = (
        (REPO / "development.ini")
        .read_text()
        .replace("\nhost = localhost\n", "\nhost = 127.0.0.1\n")
        .replace("\nhttp_port = 6543\n", f"\nhttp_port = {port}\n")
        # The in-process gateway on a free port too (not 6544: parallel runs, pytest -n 2).
        .replace(
            "\nrealtime_in_process = true\n",
            f"\nrealtime_in_process = true\nrealtime_listen = 127.0.0.1:{free_port()}\n",
        )
    )
    assert "realtime_listen" in ini
    (tmp_path / "development.ini").write_text(ini)
    base = f"http://127.0.0.1:{port}"
    with running_pserve(
        tmp_path, lambda: get(f"{base}/api/system/health/live/")[0] == 200, capture=True
    ):
        status, body = get(f"{base}/api/system/health/ready/")
        assert status == 200 and json.loads(body)["dependencies"] == {
            "database": "ok",
            "redis": "disabled",
        }
        status, body = get(f"{base}/api/system/status-page/")
        assert status == 200 and "THE_BOT status" in body
        assert (tmp_path / "thebot.sqlite").exists()


def test_production_ini_port_defaults_to_6543_and_pserve_http_port_overrides_it():
    """``pserve production.ini http_port=6544`` starts another instance on another port."""
    from paste.deploy.loadwsgi import SERVER, loadcontext

    uri = f"config:{REPO / 'production.ini'}"
    assert loadcontext(SERVER, uri).local_conf["port"] == "6543"
    given = loadcontext(SERVER, uri, global_conf={"http_port": "6544"}).local_conf
    assert given["port"] == "6544" and given["host"] == "0.0.0.0"  # noqa: S104 (the proxy)
    assert int(given["threads"]) >= 1


@pytest.mark.parametrize("ini", ["development.ini", "src/thebot/config_templates/development.ini"])
def test_development_ini_port_defaults_to_6543_and_pserve_http_port_overrides_it(ini):
    """``pserve development.ini http_port=7000``, like production.ini; still on localhost."""
    from paste.deploy.loadwsgi import SERVER, loadcontext
    from waitress.adjustments import Adjustments

    uri = f"config:{REPO / ini}"
    default = loadcontext(SERVER, uri).local_conf
    assert (default["host"], default["port"]) == ("localhost", "6543")
    assert "listen" not in default  # waitress refuses listen together with host/port
    given = loadcontext(SERVER, uri, global_conf={"http_port": "7000"}).local_conf
    assert (given["host"], given["port"]) == ("localhost", "7000")
    ports = {address[1] for *_, address in Adjustments(**given).listen}
    assert ports == {7000}
