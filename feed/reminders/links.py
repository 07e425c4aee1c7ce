"""The signed "I have renewed it" link a reminder carries: bound to one SIM and one deadline.

The link is its own credential (no sign-in from a phone's chat app), so it is signed
with the service's secret key and says only which SIM, which deadline it was sent for
and the last day it may be used: the day of the last reminder that carries it (the last
stage's day, or 30 days after the deadline without stages). A link for a deadline that
has since moved is recognised by the page, which then records nothing; a link records
one renewal however often it is pressed, for as long as it lives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from itsdangerous import BadSignature, URLSafeSerializer

from ..core.deadlines import Deadline
from ..storage.store import LASTING
from .schedule import last_reminder_day

# Keeps these signatures apart from the session cookie's, made with the same key.
SALT = "simfeed.reminders.renewed"
PATH = "/renewed/"


class LinkInvalid(ValueError):
    """The link cannot be used: not signed by this service, or not readable."""


class LinkExpired(LinkInvalid):
    """The link was genuine, but its last day has passed; `claim` says what it was for."""

    def __init__(self, claim: Claim):
        super().__init__(f"this link expired after {claim.expires.isoformat()}")
        self.claim = claim


@dataclass(frozen=True)
class Claim:
    """What a genuine link says: this SIM's deadline `deadline`, usable until `expires`."""

    sim_id: str
    deadline: date
    expires: date

    @property
    def idempotency_key(self) -> str:
        """One renewal per SIM and deadline, however many links (channels, days) were sent for it.

        A lasting key: the log keeps it as long as the renewal it recorded, not 48 hours, so a
        deadline that a renewal does not move (a fixed expiry, a balance) is not recorded twice.
        """
        digest = hashlib.sha256(f"{self.sim_id}\n{self.deadline.isoformat()}".encode()).hexdigest()
        return f"{LASTING}renewed-link-{digest}"


def _serializer(secret_key: str | bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def expires_for(deadline: Deadline) -> date:
    """The last day a link for this deadline may be used: the day of the last reminder carrying it."""
    return last_reminder_day(deadline)


def token_for(secret_key: str | bytes, sim_id: str, deadline: date, expires: date) -> str:
    """The signed token for this SIM and deadline; the same arguments give the same token.

    >>> args = (b"k" * 32, "giffgaff", date(2026, 12, 2), date(2026, 12, 2))
    >>> token_for(*args) == token_for(*args), token_for(*args).isascii()
    (True, True)
    """
    return str(_serializer(secret_key).dumps([sim_id, deadline.isoformat(), expires.isoformat()]))


def renewed_url(public_url: str, secret_key: str | bytes, sim_id: str, deadline: date, expires: date) -> str:
    """The absolute link a reminder carries: `public_url` + /renewed/<token>."""
    return public_url.rstrip("/") + PATH + token_for(secret_key, sim_id, deadline, expires)


def link_for(public_url: str | None, secret_key: str | bytes | None, deadline: Deadline) -> str | None:
    """The link for this deadline, as the reminders and the autopilot's messages carry it: it lasts as
    long as the reminders do. None without a public URL (phones cannot reach the server) or a key."""
    if not (public_url and secret_key):
        return None
    return renewed_url(public_url, secret_key, deadline.sim.id, deadline.due, expires_for(deadline))


def read_token(secret_key: str | bytes, token: str, today: date) -> Claim:
    """The claim of a genuine, unexpired token; LinkInvalid or LinkExpired otherwise.

    >>> key = b"k" * 32
    >>> token = token_for(key, "giffgaff", date(2026, 12, 2), date(2027, 1, 1))
    >>> read_token(key, token, date(2027, 1, 1))
    Claim(sim_id='giffgaff', deadline=datetime.date(2026, 12, 2), expires=datetime.date(2027, 1, 1))
    >>> read_token(key, token, date(2027, 1, 2))
    Traceback (most recent call last):
    feed.reminders.links.LinkExpired: this link expired after 2027-01-01
    """
    try:
        payload = _serializer(secret_key).loads(token)
        sim_id, deadline, expires = payload
        claim = Claim(str(sim_id), date.fromisoformat(deadline), date.fromisoformat(expires))
    except BadSignature:
        raise LinkInvalid("this link was not made by this service") from None
    except (TypeError, ValueError):  # signed by us, yet not a claim: never made by token_for
        raise LinkInvalid("this link cannot be read") from None
    if today > claim.expires:
        raise LinkExpired(claim)
    return claim
