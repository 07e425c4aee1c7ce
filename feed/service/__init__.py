"""The application: what one worker serves, and every use case of the page, the API and the CLI.

The web and the CLI come in here, never to the log or the config packages: the errors a
use case raises and the names its callers need are exported from this package too.
"""

from __future__ import annotations

from ..config.load import ConfigError
from ..storage.db import CopyRefused, LogUnavailable
from ..storage.records import renewal_record
from ..storage.renewals import IDEMPOTENCY_KEY, INPUT_FIELDS, Recorded, RenewalInvalid, UnknownSim
from ..storage.store import IdempotencyConflict, StoredRenewal
from .snapshots import Serving, Snapshot, fingerprint
from .usecases import Overview, Service, SimDetail

__all__ = [
    "IDEMPOTENCY_KEY",
    "INPUT_FIELDS",
    "ConfigError",
    "CopyRefused",
    "IdempotencyConflict",
    "LogUnavailable",
    "Overview",
    "Recorded",
    "RenewalInvalid",
    "Service",
    "Serving",
    "SimDetail",
    "Snapshot",
    "StoredRenewal",
    "UnknownSim",
    "fingerprint",
    "renewal_record",
]
