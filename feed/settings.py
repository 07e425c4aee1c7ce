"""The service's settings: one field per environment variable, read in one place.

Everything a user owns lives in one data folder (the instance folder); the settings
below only say where it is and what may override its parts. docs/configuration.md
lists the same variables; tests/test_settings.py keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# The SIM file kept in the data folder, and where an earlier version kept it (relative to
# the working directory, as that version's default was).
SIM_FILE = "sims.toml"
LEGACY_SIM_FILE = Path("config") / "sims.toml"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable, never a secret's value."""


def default_instance(environ: Mapping[str, str]) -> Path:
    """The data folder when SIMFEED_INSTANCE is unset.

    In a checkout (the package beside a pyproject.toml, as `make run` and the Procfile
    use it): instance/ there, git-ignored. Installed with pip or pipx: the user's XDG data
    folder, never inside site-packages.
    """
    if (PACKAGE.parent / "pyproject.toml").is_file():
        return PACKAGE.parent / "instance"
    data_home = environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data_home) / "simfeed"


def _proxies(value: str) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or int(text) > 10:
        raise SettingsError(f"SIMFEED_PROXIES must be the number of trusted proxies, 0 to 10, not {value!r}")
    return int(text)


@dataclass(frozen=True)
class Settings:
    """What the environment (or a test's mapping) says; every default is written here."""

    # SIMFEED_INSTANCE: the data folder: SIM file, log, secret key, editing history, admin token.
    instance: Path
    # SIMFEED_CONFIG: the SIM file (default: sims.toml in the data folder).
    config: Path
    # SIMFEED_DATABASE, else DATABASE_URL: the renewal log, an SQLite path or a database URL
    # (default: simfeed.sqlite3 in the data folder).
    database: str
    # SIMFEED_ADMIN_TOKEN: opens the API and the page's forms; wins over [server] admin_token
    # and over the token made in the data folder.
    admin_token: str | None = None
    # SIMFEED_SECRET_KEY: signs session cookies and one-tap links (default: a key made once
    # and kept in the data folder).
    secret_key: str | None = None
    # SIMFEED_PROXIES: how many reverse proxies in front are trusted for X-Forwarded-* (0).
    proxies: int = 0
    # The SIM file is an earlier version's config/sims.toml, still used until it is moved.
    legacy_config: bool = False

    @property
    def default_config(self) -> bool:
        """The SIM file is the data folder's own (so a starter may be written there)."""
        return self.config == self.instance / SIM_FILE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 overrides: Mapping[str, object] | None = None) -> Settings:
        """Settings from `environ` (os.environ), each variable overridden by `overrides` (tests)."""
        env = dict(os.environ if environ is None else environ)
        env.update({k: str(v) for k, v in (overrides or {}).items() if v is not None})

        def given(name: str) -> str | None:
            return env.get(name) or None

        instance = Path(os.path.abspath(given("SIMFEED_INSTANCE") or default_instance(env)))
        config_given = given("SIMFEED_CONFIG")
        legacy = False
        if config_given:
            config = Path(config_given)
        elif not (instance / SIM_FILE).exists() and LEGACY_SIM_FILE.is_file():
            config, legacy = LEGACY_SIM_FILE, True
        else:
            config = instance / SIM_FILE
        database = (given("SIMFEED_DATABASE") or given("DATABASE_URL")
                    or str(instance / "simfeed.sqlite3"))
        return cls(instance=instance, config=config, database=database,
                   admin_token=given("SIMFEED_ADMIN_TOKEN"), secret_key=given("SIMFEED_SECRET_KEY"),
                   proxies=_proxies(env.get("SIMFEED_PROXIES") or "0"), legacy_config=legacy)
