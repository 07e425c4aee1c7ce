"""Subscribe links for a feed address: webcal, Google's "add by URL", download, and a QR code."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

import segno

from ..core.model import Check

GOOGLE_ADD = "https://calendar.google.com/calendar/r?cid="


@dataclass(frozen=True)
class FeedLinks:
    """Every way to reach one feed, all absolute."""

    https: str
    webcal: str
    # The feed with reminders as events of their own, for clients that drop alarms.
    events: str
    google: str
    download: str

    @property
    def local(self) -> bool:
        """Whether the address names this machine (127.0.0.1, localhost): no phone and no Google
        server can reach it, so the QR code and "Add to Google Calendar" cannot work.

        >>> feed_links("http://127.0.0.1:8000/calendar.ics").local, feed_links("https://sims.example/c.ics").local
        (True, False)
        """
        host = (urlsplit(self.https).hostname or "").rstrip(".").lower()
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return address.is_loopback or address.is_unspecified

    def qr_svg(self) -> str:
        """The webcal address as a QR code: an <svg> element for inline HTML, sized by CSS."""
        return _qr_svg(self.webcal)


@functools.lru_cache(maxsize=64)
def _qr_svg(text: str) -> str:
    """Made once per address: a QR code depends on its text alone, and takes milliseconds to make."""
    code = segno.make(text, error="m", micro=False)
    return str(code.svg_inline(omitsize=True, border=2, svgclass="qr-code", light="#fff"))


def feed_links(url: str, token: str | None = None) -> FeedLinks:
    """The links for the feed at `url` (http or https), with the feed token when it has one.

    >>> links = feed_links("https://sims.example.org/calendar.ics", "s3cret-tok")
    >>> links.webcal
    'webcal://sims.example.org/calendar.ics?token=s3cret-tok'
    >>> links.events
    'https://sims.example.org/calendar.ics?token=s3cret-tok&reminders=events'
    >>> links.google
    'https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fsims.example.org%2Fcalendar.ics%3Ftoken%3Ds3cret-tok%26reminders%3Devents'
    >>> links.download
    'https://sims.example.org/calendar.ics?token=s3cret-tok&download=1'
    """
    base = {"token": token} if token else {}

    def address(**extra: str) -> str:
        query = urlencode({**base, **extra})
        return f"{url}?{query}" if query else url

    https = address()
    # Google ignores alarms in subscribed calendars: its link asks for reminder events.
    events = address(reminders="events")
    return FeedLinks(https=https, webcal=_webcal(https), events=events,
                     google=GOOGLE_ADD + quote(_webcal(events), safe=""), download=address(download="1"))


def _webcal(address: str) -> str:
    return "webcal://" + address.split("://", 1)[1]


def check_href(check: Check) -> str:
    """A link that dials the carrier's balance code (tel:, with # escaped) or writes its SMS.

    >>> check_href(Check("ussd", "*#131#")), check_href(Check("sms", "BAL 1", "150"))
    ('tel:*%23131%23', 'sms:150?body=BAL%201')
    """
    if check.kind == "sms":
        return f"sms:{quote(check.to or '', safe='+')}?body={quote(check.code)}"
    return "tel:" + quote(check.code, safe="*+")
