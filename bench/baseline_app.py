"""The floor for serving: a minimal Flask app answering with the same bytes and headers from memory.

Started by bench/serve.py under the same gunicorn settings as simfeed, with
BENCH_FEEDS pointing at a JSON file of {path: {"body": file, "headers": {...}}}.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response, request


def create_app() -> Flask:
    app = Flask(__name__)
    feeds = json.loads(Path(os.environ["BENCH_FEEDS"]).read_text())
    bodies = {path: Path(spec["body"]).read_bytes() for path, spec in feeds.items()}

    @app.get("/<path:path>")
    def serve(path: str) -> Response:
        spec = feeds["/" + path]
        if request.headers.get("If-None-Match") == spec["headers"]["ETag"]:
            # A 304 carries the validators and caching headers the 200 would (RFC 9110 15.4.5).
            return Response(status=304, headers=spec["validators"])
        return Response(bodies["/" + path], headers=spec["headers"])

    return app
