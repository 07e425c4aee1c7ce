"""What became of the HTTP requests one send made: whether the message may have left.

apprise answers a send with False whatever went wrong, and logs why in words. Whether a
failed message may still have arrived is in the exception requests raised, which apprise's
plugins catch: a refused connection, a name that does not resolve or a connection that was
never made surely sent nothing; a read time-out or a connection dropped after the request
was written may have delivered it. So requests' transport adapter is wrapped, once, to note
each exception raised while a send is being watched (per thread and greenlet: a ContextVar),
and changes nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

_seen: ContextVar[list[requests.RequestException] | None] = ContextVar("simfeed_transport", default=None)
_original_send = HTTPAdapter.send


def _noting_send(self: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
    try:
        return _original_send(self, request, *args, **kwargs)
    except requests.RequestException as error:
        seen = _seen.get()
        if seen is not None:
            seen.append(error)
        raise


HTTPAdapter.send = _noting_send  # type: ignore[method-assign]


@contextmanager
def watched() -> Iterator[list[requests.RequestException]]:
    """The transport errors raised by requests inside the block, in order."""
    errors: list[requests.RequestException] = []
    token = _seen.set(errors)
    try:
        yield errors
    finally:
        _seen.reset(token)


def surely_unsent(error: requests.RequestException) -> bool:
    """Whether the request failed before any of it reached the receiver.

    >>> surely_unsent(requests.ReadTimeout("read timed out"))
    False
    >>> surely_unsent(requests.ConnectTimeout("connect timed out"))
    True
    """
    if isinstance(error, requests.ConnectTimeout | requests.exceptions.SSLError
                  | requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return True
    if isinstance(error, requests.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", None)
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)  # NameResolutionError too
    return False


def may_have_arrived(errors: list[requests.RequestException]) -> requests.RequestException | None:
    """The first error after which the message may have arrived all the same, if any."""
    return next((error for error in errors if not surely_unsent(error)), None)
