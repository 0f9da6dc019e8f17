"""THE_BOT: the WSGI application factory.

Integrators embed ``thebot.main`` (a PasteDeploy ``app_factory``); ``pserve`` uses it through
``development.ini`` / ``production.ini``.
"""

from __future__ import annotations

import gc
import importlib
import logging
import warnings
from importlib.metadata import PackageNotFoundError, version
from typing import Any

# Pyramid and Cornice import pkg_resources, which setuptools 80.9+ answers with a UserWarning
# on every start; nothing of ours uses it. Before their import: the console scripts import
# this package first (pserve imports Pyramid itself: setup.py keeps setuptools below 80.9).
warnings.filterwarnings("ignore", "pkg_resources is deprecated as an API", UserWarning)


def quiet_noisy_loggers() -> None:
    """Alembic logs one INFO line per built-in plugin when it is first imported, which under
    pserve is after logging is set up: seven lines of noise on every start. Called at import
    and again after a console script's ``fileConfig`` (which resets the levels of the
    loggers under those it configures). An ini that names this logger still decides."""
    plugins = logging.getLogger("alembic.runtime.plugins")
    if plugins.level == logging.NOTSET:
        plugins.setLevel(logging.WARNING)


quiet_noisy_loggers()

from pyramid.config import Configurator  # noqa: E402 - after the filter above
from sqlalchemy import MetaData  # noqa: E402

try:
    __version__ = version("thebot")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"

log = logging.getLogger(__name__)


def import_models() -> MetaData:
    """Import every feature's models so ``Base.metadata`` is complete (alembic, tests)."""
    from thebot.db import Base
    from thebot.settings import feature_modules

    importlib.import_module("thebot.tasks.outbox")  # core tables: the transactional outbox
    importlib.import_module("thebot.audit")  # and the audit trail
    feature_modules("models")
    return Base.metadata


def main(global_config: dict[str, Any] | None = None, **raw_settings: Any) -> Any:
    """Build the WSGI application from ini settings (environment variables win)."""
    from thebot.logs import configure_logging, configure_sentry
    from thebot.settings import FEATURES, load_settings, validate_settings

    settings = load_settings(raw_settings)
    warnings = validate_settings(settings)  # raises ConfigurationError listing every problem
    settings["thebot.version"] = __version__
    settings.setdefault("tm.manager_hook", "pyramid_tm.explicit_manager")
    settings.setdefault("retry.attempts", 3)
    settings["handle_exceptions"] = False  # ours render problem+json (thebot.errors)
    configure_logging(settings)
    configure_sentry(settings)
    for warning in warnings:
        log.warning("configuration: %s", warning)
    import_models()

    with Configurator(settings=settings) as config:
        config.include("pyramid_jinja2")
        config.include("pyramid_tm")
        config.include("pyramid_retry")
        config.include("cornice")
        config.include("thebot.openapi")  # before the features: their documentation args
        config.include("thebot.api")  # the orjson renderer
        config.include("thebot.db")
        config.include("thebot.security")
        config.include("thebot.errors")
        config.include("thebot.outages")
        config.include("thebot.tweens")
        config.include("thebot.cache")
        config.include("thebot.tasks")
        config.include("thebot.tasks.periodic")
        for feature in FEATURES:
            config.include(feature)
        for extra in settings["includes"]:
            config.include(extra)
        config.include("thebot.db.migrate")  # auto_migrate: development first start
        config.add_static_view("static", "thebot:static", cache_max_age=3600)
    app = config.make_wsgi_app()
    # Everything built so far lives as long as the process: move it out of the garbage
    # collector's sight, so full collections stay short under load (see bench/RESULTS.md).
    gc.collect()
    gc.freeze()
    return app
