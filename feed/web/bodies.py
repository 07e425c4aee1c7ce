"""How large a request body may be: refused with 413 from its Content-Length, before it is read.

Forms and the API carry a few short fields (a renewal's longest text is 500
characters): FORM_LIMIT leaves room for all of them written in any script and
percent-encoded. The editor's form carries one SIM's fields; the largest SIM of the
example and test configs posts 814 bytes, and EDITOR_LIMIT leaves room for notes
over a thousand times longer. A body over the limit is never read: werkzeug refuses it
from its Content-Length, and gunicorn.conf.py closes such a connection instead of
draining it.
"""

from __future__ import annotations

from flask import Flask, request

FORM_LIMIT = 64 * 1024
EDITOR_LIMIT = 1024 * 1024


def init_app(app: Flask) -> None:
    """The app-wide limit for every body, multipart fields included (Flask's own settings).

    Flask's defaults are no limit at all and 500 kB a field; a test_config may set its own.
    """
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config.update(MAX_CONTENT_LENGTH=FORM_LIMIT, MAX_FORM_MEMORY_SIZE=FORM_LIMIT)


def allow_editor_body() -> None:
    """A before_request of the editor: its saves may be larger than other forms."""
    request.max_content_length = EDITOR_LIMIT
    request.max_form_memory_size = EDITOR_LIMIT
