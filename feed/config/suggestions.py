""""Did you mean …?" for a key or a name that is not known: case, common synonyms, then spelling."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Words people write for a known key (checked only where that key is known).
SYNONYMS = {
    "phone": "number", "phone_number": "number", "phonenumber": "number", "telephone": "number",
    "tel": "number", "msisdn": "number", "mobile": "number",
    "operator": "carrier", "provider": "carrier", "network": "carrier",
    "expiry": "expires", "expiry_date": "expires", "expires_on": "expires", "expiration": "expires",
    "last_topup": "last_renewal", "last_top_up": "last_renewal", "last_recharge": "last_renewal",
    "renewed": "last_renewal", "renewal": "last_renewal", "last_renewed": "last_renewal",
    "note": "notes", "tag": "tags", "url": "renew_url", "renewal_url": "renew_url",
}


def suggest(word: str, known: Iterable[str]) -> str | None:
    """The known word that `word` most likely meant, or None.

    >>> suggest("phone_number", ["number", "show_number"]), suggest("hahaSIM", ["hahasim", "giffgaff"])
    ('number', 'hahasim')
    >>> suggest("kep_alive", ["keep_alive", "expires"]), suggest("zzz", ["number"])
    ('keep_alive', None)
    """
    choices = sorted(known)
    folded = {choice.casefold(): choice for choice in choices}
    key = word.casefold().replace("-", "_").replace(" ", "_")
    if key in folded:
        return folded[key]
    synonym = SYNONYMS.get(key)
    if synonym in choices:
        return synonym
    close = difflib.get_close_matches(key, list(folded), n=1)
    return folded[close[0]] if close else None
