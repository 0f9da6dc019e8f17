import os

from setuptools import find_namespace_packages, setup

here = os.path.abspath(os.path.dirname(__file__))
with open(os.path.join(here, "README.rst"), encoding="utf-8") as f:
    README = f.read()

requires = [
    "alembic>=1.13",
    "argon2-cffi>=23.1",
    "cachetools>=5.3",  # bounded in-process caches (the class overview's rows)
    "limits>=5.0,<6",
    "apscheduler>=3.10,<4",
    "colander>=2.0",
    "cornice>=6.1",
    "dogpile.cache>=1.3",
    "dramatiq[redis]>=1.17",
    "filetype>=1.2",
    "icalendar>=6.1",
    "jinja2>=3.1",
    "olefile>=0.46",
    "orjson>=3.10",
    "plaster_pastedeploy",
    "prometheus_client>=0.20",
    "psutil>=5.9",
    "pyramid>=2.0.2",
    "pyramid_jinja2>=2.10",
    "pyramid_retry>=2.1",
    "pyramid_tm>=2.5",
    "python-dateutil>=2.8.2",
    "redis>=5",
    # Pyramid and Cornice import pkg_resources; setuptools 80.9+ prints a UserWarning for that
    # on every start, before our code runs under pserve (Pyramid itself wants < 82).
    "setuptools<80.9",
    "SQLAlchemy>=2.0.30",
    "swagger-ui-bundle>=1.1",  # /api/docs/ serves its files (no CDN)
    "transaction>=4",
    "tzdata>=2024.1",
    "waitress>=3",
    "websockets>=13",  # the real-time gateway (thebot-realtime)
    "zope.sqlalchemy>=3.1",
]

extras = {
    "postgresql": ["psycopg[binary]>=3.1"],
    "sentry": ["sentry-sdk>=2"],
    "testing": [
        "factory_boy>=3.3",
        "import-linter>=2.1",  # tox -e lint, .ci/run: the dependency contracts in tox.ini
        "jsonschema>=4.18",  # tests/contract: responses against the OpenAPI document
        "mypy>=1.10",  # tox -e lint, .ci/run: type check of src/thebot ([mypy] in tox.ini)
        "openapi-spec-validator>=0.7",
        "pytest>=8",
        "pytest-cov",
        "pytest-xdist>=3",  # .ci/run: ``pytest -n 2``, each worker with its own scratch data
        "PyYAML>=6",  # tests/test_compose_files.py reads the compose files
        "ruff>=0.6",
        "schemathesis>=4.0",  # .ci/contract: the live server against the document
        "time-machine>=2.13",
        "WebTest>=3.0",
    ],
}

setup(
    name="thebot",
    version="1.0.0",
    description="THE_BOT: back end for tutoring and school-support businesses",
    long_description=README,
    long_description_content_type="text/x-rst",
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Framework :: Pyramid",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Application",
        # Installed from a wheel or a private index, never from pypi.org, where the name
        # ``thebot`` is another project's: PyPI refuses this classifier on upload, and
        # thebot-check-config warns when the installed distribution lacks it.
        "Private :: Do Not Upload",
    ],
    author="THE_BOT developers",
    license="MIT",
    url="https://thebot.example/",
    keywords="web pyramid tutoring education",
    package_dir={"": "src"},
    packages=find_namespace_packages("src", include=["thebot", "thebot.*"]),
    include_package_data=True,
    zip_safe=False,
    python_requires=">=3.10",
    install_requires=requires,
    extras_require=extras,
    entry_points={
        "paste.app_factory": ["main = thebot:main"],
        "console_scripts": [
            "thebot-check-config = thebot.scripts.check_config:main",
            "thebot-init-config = thebot.scripts.init_config:main",
            "thebot-migrate = thebot.scripts.migrate:main",
            "thebot-worker = thebot.scripts.worker:main",
            "thebot-scheduler = thebot.scripts.scheduler:main",
            "thebot-heartbeat = thebot.scripts.heartbeat:main",
            "thebot-createsuperuser = thebot.scripts.accounts.createsuperuser:main",
            "thebot-create-demo-data = thebot.scripts.accounts.demo_data:main",
            "thebot-create-backup = thebot.scripts.backups.create:main",
            "thebot-verify-backup = thebot.scripts.backups.verify:main",
            "thebot-restore-backup = thebot.scripts.backups.restore:main",
            "thebot-payments-reconcile = thebot.scripts.payments_reconcile:main",
            "thebot-realtime = thebot.scripts.realtime:main",
        ],
    },
)
