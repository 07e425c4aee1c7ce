"""Subscribe links for a feed address: webcal, Google's "add by URL", download, and a QR code."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

import segno

GOOGLE_ADD = "https://calendar.google.com/calendar/r?cid="


@dataclass(frozen=True)
class FeedLinks:
    """Every way to reach one feed, all absolute."""

    https: str
    webcal: str
    google: str
    download: str

    def qr_svg(self) -> str:
        """The webcal address as a QR code: an <svg> element for inline HTML, sized by CSS."""
        code = segno.make(self.webcal, error="m", micro=False)
        return str(code.svg_inline(omitsize=True, border=2, svgclass="qr-code", light="#fff"))


def feed_links(url: str, token: str | None = None) -> FeedLinks:
    """The links for the feed at `url` (http or https), with the feed token when it has one.

    >>> links = feed_links("https://sims.example.org/calendar.ics", "s3cret-tok")
    >>> links.webcal
    'webcal://sims.example.org/calendar.ics?token=s3cret-tok'
    >>> links.google
    'https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fsims.example.org%2Fcalendar.ics%3Ftoken%3Ds3cret-tok'
    >>> links.download
    'https://sims.example.org/calendar.ics?token=s3cret-tok&download=1'
    """
    https = f"{url}?{urlencode({'token': token})}" if token else url
    webcal = "webcal://" + https.split("://", 1)[1]
    download = https + ("&" if "?" in https else "?") + "download=1"
    return FeedLinks(https=https, webcal=webcal, google=GOOGLE_ADD + quote(webcal, safe=""),
                     download=download)
