# simfeed's image: one image for the web server (the default command) and the reminder worker
# (`simfeed remind --loop`), running as a user of its own, everything it keeps in the /data volume.
#
#   docker build -t simfeed .
#   docker run -d -p 8000:8000 -v simfeed-data:/data simfeed
#
# docs/deploy.md has compose, the worker, volume ownership and backups.
ARG BASE=debian:bookworm-slim

# ---- build: a venv with the pinned requirements and the package, then thrown away
FROM ${BASE} AS build
# python3 from Debian unless the base has it already (a base made with mmdebstrap, as the tests make).
RUN if ! python3 -c "import ensurepip, venv" 2>/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends python3 python3-venv \
        && rm -rf /var/lib/apt/lists/*; \
    fi
# PIP_CERT: a CA bundle for a TLS proxy in front of the package index, mounted for the build only
# (`--build-arg PIP_CERT=… --volume …`); never copied into the image.
ARG PIP_CERT=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/simfeed
COPY requirements.txt /src/
# The pins, without requirements.txt's editable install of the checkout (`-e .`): the package
# itself is installed from the copied sources below, not linked to them.
RUN sed '/^-e /d' /src/requirements.txt > /src/pins.txt \
    && /opt/simfeed/bin/pip install ${PIP_CERT:+--cert "$PIP_CERT"} -r /src/pins.txt
COPY pyproject.toml README.md /src/
COPY feed /src/feed
# pip and setuptools only install: the image runs without them (about 20 MB less).
RUN /opt/simfeed/bin/pip install ${PIP_CERT:+--cert "$PIP_CERT"} --no-deps /src \
    && /opt/simfeed/bin/python -m pip uninstall --quiet --yes pip setuptools \
    && find /opt/simfeed -name __pycache__ -prune -exec rm -rf {} + \
    && /opt/simfeed/bin/python -m compileall -q /opt/simfeed/lib

# ---- runtime: Debian's python3 and the venv, nothing else
FROM ${BASE}
RUN if ! command -v python3 >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends python3 \
        && rm -rf /var/lib/apt/lists/*; \
    fi
# A fixed uid, so a bind-mounted folder can be given to it: chown 10001:10001 the folder.
RUN groupadd --system --gid 10001 simfeed \
    && useradd --system --uid 10001 --gid simfeed --home-dir /data --no-create-home simfeed \
    && mkdir /data && chown simfeed:simfeed /data && chmod 0700 /data
COPY --from=build /opt/simfeed /opt/simfeed
COPY deploy/container/entrypoint.sh /app/
WORKDIR /app
ENV PATH=/opt/simfeed/bin:$PATH PYTHONUNBUFFERED=1 \
    SIMFEED_INSTANCE=/data HOST=0.0.0.0 PORT=8000
USER simfeed
VOLUME /data
EXPOSE 8000
# /healthz answers 200 while the service can serve (and 503 while its database is down).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
ENTRYPOINT ["/app/entrypoint.sh"]
CMD ["simfeed", "serve"]
