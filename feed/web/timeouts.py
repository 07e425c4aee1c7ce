"""A request body that stops arriving: 408, not a 500 with a traceback; gunicorn then closes the connection.

gunicorn.conf.py gives every socket read a timeout (IO_TIMEOUT), so a client that sends
its headers and then dribbles or withholds the body holds its connection only that long.
The timeout surfaces as TimeoutError wherever the body is read (the form, the JSON),
which would otherwise be logged as the app's own failure.
"""

from __future__ import annotations

from flask import Response, current_app, request


def body_timed_out(error: TimeoutError) -> Response:
    """The app-wide handler for TimeoutError: the client was too slow, the server is fine."""
    current_app.logger.info("%s %s: the request body stopped arriving", request.method, request.path)
    return Response("408 Request Timeout: the request body stopped arriving\n", 408,
                    content_type="text/plain; charset=utf-8")
