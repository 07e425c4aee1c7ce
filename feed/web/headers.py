"""Security headers on every response: nosniff and no referrer always, CSP on HTML."""

from __future__ import annotations

from flask import Response

# No inline script or style anywhere: the page's JavaScript is one static file.
# connect-src: the SIM editor's live preview posts its own form back to this site.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def security_headers(response: Response) -> Response:
    """Added after every request: feeds, the API and pages alike, error pages included."""
    headers = response.headers
    # One pass over the headers, no parsing: this runs for every poll of every feed.
    present = {name.lower(): value for name, value in headers.items()}
    wanted = [("X-Content-Type-Options", "nosniff"),
              ("Referrer-Policy", "no-referrer")]  # feed tokens stay in the URL bar
    if present.get("content-type", "").startswith("text/html"):
        headers["Content-Security-Policy"] = CSP
        headers["X-Frame-Options"] = "DENY"
        # Pages carry CSRF tokens, flashes and, once signed in, feed tokens.
        wanted.append(("Cache-Control", "no-store"))
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response

