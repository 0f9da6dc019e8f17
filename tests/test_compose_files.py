"""The compose files run as written, checked without a Docker engine.

``docker-compose.yml`` (the deployment), ``compose.proxy.yml`` (Caddy in front, merged over
it as ``docker compose -f docker-compose.yml -f compose.proxy.yml`` does), ``Caddyfile`` and
``.env.example`` are read with PyYAML and the readers of ``compose_support.py``, and compared
with the Dockerfile, ``setup.py``, the packaged ``production.ini``, the settings table, the
production rules of ``thebot-check-config``, the app's routes and the gateway's probe.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from paste.deploy.loadwsgi import SERVER, loadcontext
from pyramid.interfaces import IRoutesMapper
from waitress.proxy_headers import proxy_headers_middleware

from compose_support import (
    CADDYFILE,
    COMPOSE,
    PROXY_OVERLAY,
    caddy_route,
    env_example,
    load,
    merge,
    parse_caddyfile,
    placeholders,
    variables,
)
from docker_support import (
    INTERPOLATION,
    REPO,
    console_scripts,
    interpolate,
    packaged_production_ini,
    parse_dockerfile,
    run_healthcheck,
    served_port,
    stages_of,
)
from thebot.realtime.gateway.server import HEALTH_PATH, WS_PATH
from thebot.scripts import init_config
from thebot.settings import SETTINGS, check_settings, generate_secret_key, load_settings
from thebot.tweens import ProxyList, client_ip

SETTING_ENVS = {s.env for s in SETTINGS if s.env}
APP_SERVICES = {"migrate", "web", "worker", "scheduler", "realtime"}
# Long-running services that write files: each folder setting must be on a volume.
FOLDERS = ("media_root", "backup_dir", "mail_dir", "log_dir")
# What an operator puts in .env: one value for each ${VAR:?} of the compose files.
OPERATOR_VALUES = {
    "SECRET_KEY": generate_secret_key(),
    "ALLOWED_HOSTS": "thebot.example.com",
    "CORS_ALLOWED_ORIGINS": "https://app.thebot.example.com",
    "REALTIME_PUBLIC_URL": "wss://thebot.example.com",
    "POSTGRES_PASSWORD": "p@ss:w/rd",
    "REDIS_PASSWORD": "0f3a9c7e5b1d42e8a6c4f2b0d8e6a4c2",
    "THEBOT_HOSTNAME": "thebot.example.com",
}
PINNED = re.compile(r"[\w./-]+(:\d+\.\d+(\.\d+)?(-[\w.]+)?)?(@sha256:[0-9a-f]{64})?")


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return load(COMPOSE)


@pytest.fixture(scope="module")
def overlay() -> dict[str, Any]:
    return load(PROXY_OVERLAY)


@pytest.fixture(scope="module")
def merged(base, overlay) -> dict[str, Any]:
    return merge(base, overlay)


@pytest.fixture(scope="module")
def runtime():
    return stages_of(parse_dockerfile((REPO / "Dockerfile").read_text()))[-1]


@pytest.fixture(scope="module")
def caddy_site() -> Any:
    blocks = parse_caddyfile((REPO / CADDYFILE).read_text())
    (site,) = [b for b in blocks if b.words]
    return site


def environment(service: dict[str, Any], given: dict[str, str] = OPERATOR_VALUES) -> dict:
    return {k: interpolate(v, given) for k, v in service["environment"].items()}


def settings_of(service: dict[str, Any]) -> dict[str, Any]:
    return load_settings(dict(packaged_production_ini()["app:main"]), environ=environment(service))


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Target -> named volume."""
    return {m.split(":")[1]: m.split(":")[0] for m in service.get("volumes", [])}


# --- services, images, commands -------------------------------------------------------------


def test_compose_services(base, merged):
    assert set(base["services"]) == APP_SERVICES | {"db", "redis"}
    assert set(merged["services"]) == set(base["services"]) | {"proxy"}
    app = [base["services"][name] for name in APP_SERVICES]
    assert len({s["image"] for s in app}) == 1, "one image for every role"
    for service in app:
        # Every service of the image may build it, so compose never tries to pull it.
        assert service["build"]["context"] == "."


def test_images_are_pinned(merged, runtime):
    """An exact version (or a digest), never a moving tag like ``redis:7`` or ``latest``."""
    services = merged["services"]
    for name, service in services.items():
        if name in APP_SERVICES:
            continue  # built from this checkout; its base image is pinned in the Dockerfile
        image = service["image"]
        assert "$" not in image and PINNED.fullmatch(image) and (":" in image), name
    assert re.fullmatch(r"postgres:16\.\d+(-\w+)?", services["db"]["image"])
    assert re.fullmatch(r"redis:7\.\d+\.\d+-alpine", services["redis"]["image"])
    assert re.fullmatch(r"caddy:2\.\d+\.\d+-alpine", services["proxy"]["image"])
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", runtime.base)


def test_compose_commands_are_console_scripts(base, runtime):
    services = base["services"]
    scripts = console_scripts()
    for name in APP_SERVICES:
        command = services[name]["command"]
        assert isinstance(command, list), f"{name}: exec form"
        assert command[0] in scripts, f"{name}: {command[0]} is not a console script"
        assert command[1] == "production.ini", name
    assert services["web"]["command"] == runtime.last("CMD").exec_form()
    expected = {
        "migrate": "thebot-migrate",
        "worker": "thebot-worker",
        "scheduler": "thebot-scheduler",
        "realtime": "thebot-realtime",
    }
    for name, script in expected.items():
        assert services[name]["command"][0] == script
    assert services["realtime"]["command"][2:] == ["--listen", "0.0.0.0:6544"]
    readme = (REPO / "README.rst").read_text()
    assert "``thebot-migrate production.ini" in readme, "the documented migrations command"


def test_compose_start_order(merged):
    services = merged["services"]
    ready = {"db": "service_healthy", "redis": "service_healthy"}
    for name in APP_SERVICES - {"migrate"}:
        conditions = {k: v["condition"] for k, v in services[name]["depends_on"].items()}
        assert conditions == {**ready, "migrate": "service_completed_successfully"}, name
    migrate = services["migrate"]
    assert migrate["restart"] == "no", "a one-off job is not restarted after it succeeds"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    proxy = {k: v["condition"] for k, v in services["proxy"]["depends_on"].items()}
    assert proxy == {"web": "service_healthy", "realtime": "service_healthy"}


# --- health checks --------------------------------------------------------------------------


def test_every_long_running_service_has_a_healthcheck(merged):
    for name, service in merged["services"].items():
        check = service.get("healthcheck")
        if name == "migrate":
            assert check == {"disable": True}, "a one-off job"
            continue
        assert check and check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert {"interval", "timeout", "retries"} <= set(check), name


@pytest.mark.parametrize("component", ["worker", "scheduler"])
def test_worker_and_scheduler_report_their_heartbeat(base, runtime, component):
    test = base["services"][component]["healthcheck"]["test"]
    ini = f"{runtime.last('WORKDIR').args}/production.ini"
    assert test == ["CMD", "thebot-heartbeat", ini, "--component", component]
    assert console_scripts().get("thebot-heartbeat") == "thebot"


def _python_probe(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"] and len(test) == 4, test
    return test[3]


def test_web_healthcheck_is_the_readiness_probe(base, app, testapp, monkeypatch):
    code = _python_probe(base["services"]["web"])
    url = urlsplit(re.search(r"http://[^'\"\s]+", code).group(0))
    assert (url.hostname, url.port) == ("127.0.0.1", served_port())
    routes = {r.pattern for r in app.registry.getUtility(IRoutesMapper).get_routes()}
    assert url.path == "/api/system/health/ready/" and url.path in routes

    def through_the_app(request):
        environ = {"HTTP_HOST": request.get_header("Host"), "REMOTE_ADDR": "127.0.0.1"}
        return testapp.get(url.path, extra_environ=environ, expect_errors=True).status_int

    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    status, seen = run_healthcheck(code, monkeypatch, through_the_app)
    assert status == 0 and len(seen) == 1
    status, _ = run_healthcheck(code, monkeypatch, lambda r: 503)
    assert status == 1


def test_realtime_healthcheck_probes_the_gateway(base, monkeypatch):
    realtime = base["services"]["realtime"]
    listen_port = int(realtime["command"][realtime["command"].index("--listen") + 1].split(":")[1])
    code = _python_probe(realtime)
    status, (request,) = run_healthcheck(code, monkeypatch, lambda r: 200)
    url = urlsplit(request if isinstance(request, str) else request.full_url)
    assert status == 0
    assert (url.hostname, url.port, url.path) == ("127.0.0.1", listen_port, HEALTH_PATH)
    status, _ = run_healthcheck(code, monkeypatch, lambda r: 503)
    assert status == 1


def test_redis_requires_a_password_the_app_uses(base):
    services = base["services"]
    redis = services["redis"]
    command = redis["command"]
    assert command[0] == "redis-server"
    options = dict(zip(command[1::2], command[2::2], strict=True))
    assert options["--appendonly"] == "yes", "queued tasks survive a restart"
    password = options["--requirepass"]
    assert re.fullmatch(r"\$\{REDIS_PASSWORD:\?[^}]+\}", password), "required, no default"
    assert redis["environment"]["REDISCLI_AUTH"] == password, "the health check logs in"
    assert "redis-cli ping" in redis["healthcheck"]["test"][1]
    for name in APP_SERVICES:
        url = urlsplit(environment(services[name])["REDIS_URL"])
        assert (url.hostname, url.port) == ("redis", 6379), name
        assert url.password == OPERATOR_VALUES["REDIS_PASSWORD"], name


# --- configuration, volumes, limits -----------------------------------------------------------


def test_compose_sets_only_real_settings(merged):
    for name in APP_SERVICES:
        unknown = set(merged["services"][name]["environment"]) - SETTING_ENVS
        assert unknown == set(), f"{name}: not settings: {unknown}"


def test_compose_requires_the_secrets_without_defaults(base, overlay):
    text = (REPO / COMPOSE).read_text() + (REPO / PROXY_OVERLAY).read_text()
    required = {m.group(1) for m in INTERPOLATION.finditer(text) if m.group(2) == ":?"}
    assert required == set(OPERATOR_VALUES)
    compose_text = (REPO / COMPOSE).read_text()
    assert re.search(r"(?m)^\s+SECRET_KEY: \$\{SECRET_KEY:\?[^}]+\}$", compose_text)


@pytest.mark.parametrize("with_proxy", [False, True], ids=["compose", "with-proxy"])
def test_compose_environment_passes_the_production_checks(base, merged, with_proxy):
    """With the operator's required values, start-up would accept the configuration."""
    services = (merged if with_proxy else base)["services"]
    for name in APP_SERVICES:
        settings = settings_of(services[name])
        errors, _ = check_settings(settings)
        assert errors == [], f"{name}: {errors}"
        url = settings["sqlalchemy.url"]
        assert (url.drivername, url.host, url.password) == (
            "postgresql+psycopg",
            "db",
            OPERATOR_VALUES["POSTGRES_PASSWORD"],
        )


def test_folders_are_absolute_and_on_named_volumes(merged, runtime):
    """Every folder a service writes is an absolute path on a named volume; web and worker
    share media and backups (backups and restores read and write both)."""
    declared = set(merged["volumes"])
    services = merged["services"]
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source in declared or source.startswith("./"), f"{name}: {source}"
    image_volumes = set(runtime.last("VOLUME").exec_form())
    volume_of: dict[str, dict[str, str]] = {}
    log_dirs = set()
    for name in APP_SERVICES:
        settings, targets = settings_of(services[name]), mounts(services[name])
        folders = ("log_dir",) if name == "realtime" else FOLDERS
        for folder in folders:
            path = settings[folder]
            assert path and path.startswith("/"), f"{name}: {folder} must be absolute"
            target = next((t for t in targets if path == t or path.startswith(t + "/")), None)
            assert target, f"{name}: {folder}={path} is on no volume"
            volume_of.setdefault(folder, {})[name] = targets[target]
        if name != "realtime":
            assert image_volumes <= set(targets), name
        log_dirs.add(settings["log_dir"])
    assert len(log_dirs) == len(APP_SERVICES), "one log folder per service (rotation)"
    for folder in FOLDERS:
        assert len(set(volume_of[folder].values())) == 1, f"{folder}: one volume for all"
    assert services["db"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert services["redis"]["volumes"] == ["redis-data:/data"]


def test_the_image_and_the_packaged_ini_agree_with_compose(base, runtime):
    image_env = runtime.env()
    app_main = packaged_production_ini()["app:main"]
    compose_env = base["services"]["web"]["environment"]
    for folder in FOLDERS:
        spec = next(s for s in SETTINGS if s.name == folder)
        if spec.name in app_main:
            assert app_main[spec.name] == image_env[spec.env], spec.env
        if spec.env == "LOG_DIR":  # one folder per service, below the image's
            assert compose_env[spec.env].startswith(image_env[spec.env] + "/")
        else:
            assert compose_env[spec.env] == image_env[spec.env], spec.env


def test_web_publishes_its_port_on_loopback_only(base):
    (published,) = base["services"]["web"]["ports"]
    address, host_port, container_port = interpolate(published, {}).split(":")
    assert address == "127.0.0.1", "the way in is a reverse proxy"
    assert container_port == host_port == str(served_port())


def test_every_service_has_resource_limits(merged):
    for name, service in merged["services"].items():
        resources = service["deploy"]["resources"]
        limits = resources["limits"]
        assert float(limits["cpus"]) > 0 and re.fullmatch(r"\d+[MG]", limits["memory"]), name
        if "reservations" in resources:
            reserved = resources["reservations"]
            assert float(reserved["cpus"]) <= float(limits["cpus"]), name
            assert _megabytes(reserved["memory"]) <= _megabytes(limits["memory"]), name
    web = merged["services"]["web"]["deploy"]["resources"]
    assert web == {
        "limits": {"cpus": "2", "memory": "1G"},
        "reservations": {"cpus": "1", "memory": "512M"},
    }


def _megabytes(value: str) -> int:
    return int(value[:-1]) * (1024 if value.endswith("G") else 1)


# --- .env.example ---------------------------------------------------------------------------


def test_env_example_lists_every_variable_of_the_compose_files():
    used: dict[str, tuple[str, str]] = {}
    for name in (COMPOSE, PROXY_OVERLAY):
        used.update(variables((REPO / name).read_text()))
    listed = env_example()
    assert set(used) - set(listed) == set(), "missing from .env.example"
    assert set(listed) - set(used) == set(), "in .env.example but used by no compose file"
    for name, (operator, default) in used.items():
        line = listed[name]
        if operator.endswith("?"):
            assert not line.commented, f"{name} is required: an uncommented line"
        else:
            assert line.commented, f"{name} has a default: show it commented out"
            assert line.value == default, f"{name}: .env.example says {line.value!r}"
    # Secrets are never given: compose stops until the operator sets them.
    for secret in ("SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        assert listed[secret].value == "", secret
    ignored = (REPO / ".gitignore").read_text().split()
    assert "/.env" in ignored or ".env" in ignored, ".env never goes into git"


def test_env_example_values_pass_the_production_checks(base):
    """The example's host names, origins and URL are valid once the secrets are filled in."""
    given = {k: line.value for k, line in env_example().items() if not line.commented}
    given.update({k: OPERATOR_VALUES[k] for k, v in given.items() if not v})
    for name in APP_SERVICES:
        environ = environment(base["services"][name], given)
        settings = load_settings(dict(packaged_production_ini()["app:main"]), environ=environ)
        assert check_settings(settings)[0] == [], name
    assert given["THEBOT_HOSTNAME"] in given["ALLOWED_HOSTS"].replace(",", " ").split()
    assert given["REALTIME_PUBLIC_URL"] == f"wss://{given['THEBOT_HOSTNAME']}"


# --- the proxy overlay ----------------------------------------------------------------------


def test_proxy_routes_the_gateway_and_the_app(merged, caddy_site):
    services = merged["services"]
    gateway_port = services["realtime"]["command"][-1].split(":")[1]
    for path in (WS_PATH, WS_PATH.rstrip("/"), f"{WS_PATH}?ticket=abc"):
        assert caddy_route(caddy_site, urlsplit(path).path) == [
            "reverse_proxy",
            f"realtime:{gateway_port}",
        ], path
    for path in ("/", "/api/system/health/", "/api/realtime/ticket/", "/wsx"):
        assert caddy_route(caddy_site, path) == ["reverse_proxy", f"web:{served_port()}"], path
    # The gateway's metrics stay on the private network.
    assert caddy_route(caddy_site, "/ws/metrics")[0] == "respond"
    # Caddy reaches both over the proxy's network.
    proxy_networks = set(services["proxy"]["networks"])
    for upstream in ("web", "realtime"):
        assert proxy_networks <= set(services[upstream]["networks"]), upstream
        assert "default" in services[upstream]["networks"], f"{upstream} still reaches db"


def test_proxy_serves_https_with_a_local_certificate_and_redirects(merged, caddy_site):
    proxy = merged["services"]["proxy"]
    text = (REPO / CADDYFILE).read_text()
    wanted = placeholders(text)
    assert set(wanted) <= set(proxy["environment"]), "Caddy reads these from its environment"
    assert caddy_site.words == ["{$THEBOT_HOSTNAME}"], "a host name: Caddy redirects HTTP"
    (tls,) = [b.words for b in caddy_site.children if b.words[0] == "tls"]
    assert tls == ["tls", "{$CADDY_TLS:internal}"] and wanted["CADDY_TLS"] == "internal"
    assert interpolate(proxy["environment"]["CADDY_TLS"], {}) == "internal"
    assert not any(b.words == ["auto_https", "off"] for b in caddy_site.children)
    # Caddy's ports are the published ones (inside = outside), so its redirect is right.
    (globals_,) = [b for b in parse_caddyfile(text) if not b.words]
    options = {b.words[0]: b.words[1] for b in globals_.children if len(b.words) == 2}
    published = {interpolate(p, {}) for p in proxy["ports"]}
    for option, default in (("http_port", "80"), ("https_port", "443")):
        assert options[option] == "{$" + f"{option.upper()}:{default}" + "}"
        assert f"{default}:{default}" in published
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert {"caddy-data", "caddy-config"} <= set(merged["volumes"]), "certificates persist"


def test_web_believes_forwarded_headers_from_the_proxy_only(merged, tmp_path):
    """The proxy has a fixed address outside Docker's dynamic range; pserve passes it to
    waitress as ``trusted_proxy``, so https and the client address get through, and nobody
    else can claim them."""
    services = merged["services"]
    (ipam,) = merged["networks"]["edge"]["ipam"]["config"]
    subnet = ipaddress.ip_network(interpolate(ipam["subnet"], {}))
    dynamic = ipaddress.ip_network(interpolate(ipam["ip_range"], {}))
    address = interpolate(services["proxy"]["networks"]["edge"]["ipv4_address"], {})
    assert ipaddress.ip_address(address) in subnet and dynamic.subnet_of(subnet)
    assert ipaddress.ip_address(address) not in dynamic, "Docker could hand it out"
    command = [interpolate(word, {}) for word in services["web"]["command"]]
    assert command == ["pserve", "production.ini", f"trusted_proxy={address}"]
    assert interpolate(services["web"]["environment"]["TRUSTED_PROXIES"], {}) == address

    ini = tmp_path / "production.ini"
    ini.write_text(init_config.render("production.ini"))
    server = loadcontext(SERVER, f"config:{ini}", global_conf={"trusted_proxy": address})
    conf = server.local_conf
    assert conf["trusted_proxy"] == address
    default = loadcontext(SERVER, f"config:{ini}").local_conf["trusted_proxy"]
    assert default == "127.0.0.1", "without the argument: a proxy on the same host"

    seen: list[dict[str, Any]] = []
    app = proxy_headers_middleware(
        lambda environ, start_response: seen.append(dict(environ)) or [],
        trusted_proxy=conf["trusted_proxy"],
        trusted_proxy_count=int(conf["trusted_proxy_count"]),
        trusted_proxy_headers=set(conf["trusted_proxy_headers"].split()),
        clear_untrusted=conf["clear_untrusted_proxy_headers"] == "yes",
    )
    headers = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    for peer in (address, "172.30.83.200"):
        app({"REMOTE_ADDR": peer, "wsgi.url_scheme": "http", **headers}, None)
    through_proxy, direct = seen
    assert through_proxy["wsgi.url_scheme"] == "https"
    assert through_proxy["REMOTE_ADDR"] == "198.51.100.7"
    # The app's own check (TRUSTED_PROXIES) then sees the client, as a direct peer.
    assert client_ip(through_proxy, ProxyList([address])) == "198.51.100.7"
    assert direct["wsgi.url_scheme"] == "http" and "HTTP_X_FORWARDED_PROTO" not in direct


def test_the_sdist_carries_the_docker_files():
    included = set()
    for line in (REPO / "MANIFEST.in").read_text().splitlines():
        if line.startswith("include "):
            included.update(line.split()[1:])
    files = {"Dockerfile", ".dockerignore", COMPOSE, PROXY_OVERLAY, CADDYFILE, ".env.example"}
    assert files <= included
    # An unpacked sdist is a build context: it holds everything the Dockerfile copies.
    assert {"setup.py", "MANIFEST.in", "README.rst"} <= included
