"""The reminders' one-tap "I have renewed it" link, as a use case: which SIM and deadline a link is
for today, and whether what its form sent can renew it.

The web's renewed.py translates HTTP to these and back; the signed token itself is reminders.links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ..core import parsers
from ..core.deadlines import Deadline, deadline_for
from ..core.model import Charge, Config, Sim
from ..reminders import links
from ..storage.renewals import UnknownSim


class TopUpNeeded(ValueError):
    """A balance's deadline moves only with a top-up, and the form's amount is none."""


@dataclass(frozen=True)
class LinkTarget:
    """A genuine link's SIM and that SIM's deadline today."""

    claim: links.Claim
    sim: Sim
    deadline: Deadline
    today: date

    @property
    def current(self) -> bool:
        """Whether the deadline the link was sent for is still the SIM's: else it was renewed since."""
        return self.deadline.due == self.claim.deadline

    @property
    def charge(self) -> bool:
        """A balance the fees are paid from: only a top-up moves its deadline."""
        return isinstance(self.sim.rule, Charge)


def target(config: Config, secret_key: str | bytes, token: str, today: date) -> LinkTarget:
    """What a link is for; raises links.LinkExpired, links.LinkInvalid, or UnknownSim (a retired SIM)."""
    claim = links.read_token(secret_key, token, today)
    sim = config.sim(claim.sim_id)
    if sim is None:
        raise UnknownSim(claim.sim_id)
    return LinkTarget(claim, sim, deadline_for(sim, config.calendar), today)


def require_top_up(found: LinkTarget, values: Mapping[str, str]) -> None:
    """Raise TopUpNeeded when a balance's renewal has no amount above zero (a bad one is refused later)."""
    if not found.charge:
        return
    amount = values.get("amount", "")
    try:
        topped_up = parsers.amount_text(amount) > 0
    except parsers.Invalid:
        topped_up = bool(amount.strip())
    if not topped_up:
        raise TopUpNeeded("enter the amount you topped up: the fees are paid from the balance")
