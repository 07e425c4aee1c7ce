"""What a page says after a renewal form was sent: the SIM page's form and the reminder link's alike."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext

from ..service import Recorded, RenewalInvalid
from . import i18n


def field_errors(invalid: RenewalInvalid) -> dict[str, str]:
    """One message per bad field, in the page's language, whatever the domain's reason was."""
    return {name: i18n.wording().field_error(name) for name in invalid.errors}


def not_recorded() -> str:
    """The form's message above its marked fields."""
    return str(gettext("The renewal was not recorded: correct the fields marked below."))


def flash_recorded(name: str, recorded: Recorded) -> None:
    """Stored now, or stored before by the same request (a retry): either way, say so once."""
    if recorded.created:
        flash(gettext("Renewal recorded. The deadline of %(name)s is now %(date)s.",
                      name=name, date=i18n.wording().day(recorded.deadline.due)), "success")
    else:
        flash(gettext("This renewal was already recorded."), "info")
