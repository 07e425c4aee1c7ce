"""The container image (issue 20): built with podman from the Dockerfile, run as web and worker.

Built exactly as ../shared/deploy.md says the CI machines need: no registry, so the base
image `debian:bookworm-slim` is made locally with mmdebstrap once (an existing local image of
that name is reused); podman's global flags for runc on a hybrid cgroup layout; `--format
docker` so the HEALTHCHECK is kept; `--pull=never`; the host's CA bundle mounted for pip during
the build only. The containers run with `--network host` and bind 127.0.0.1 only.

Without podman (or mmdebstrap, to make the base) these tests skip and say so; in CI (CI=true)
they fail instead, since .ci/run installs both.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from .helpers import ADMIN_TOKEN, ROOT, Visitor, free_port
from .receivers import HttpReceiver, http_receiver
from .test_remind_cli import config_text

pytestmark = pytest.mark.slow

PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"]
BASE = "localhost/debian:bookworm-slim"
IMAGE = "localhost/simfeed:test"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# The image's user (Dockerfile): a bind-mounted data folder must belong to it.
UID = 10001
ENABLE = "the container tests need podman, runc and mmdebstrap: apt-get install -y podman runc mmdebstrap"


def _missing() -> str | None:
    if shutil.which("podman") is None:
        return "podman is not installed"
    if shutil.which("runc") is None:
        return "runc is not installed"
    return None


def _podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:2])} failed ({done.returncode}):\n"
                             f"{done.stderr[-3000:]}")
    return done


def _procfile(kind: str) -> list[str]:
    """The Procfile's line for `kind`: the same commands a platform runs, run in the image."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith(f"{kind}:"))
    return shlex.split(line.removeprefix(f"{kind}:"))


def _make_base() -> None:
    """debian:bookworm-slim made with mmdebstrap (about a minute), unless an image of that name exists."""
    if _podman("image", "exists", BASE, check=False).returncode == 0:
        return
    if shutil.which("mmdebstrap") is None:
        pytest.fail(f"no image {BASE} and no mmdebstrap to make one; {ENABLE}")
    with tempfile.TemporaryDirectory(prefix="simfeed-base-") as folder:
        tar = Path(folder) / "base.tar"
        subprocess.run(["mmdebstrap", "--variant=minbase", "--include=ca-certificates,python3,python3-venv",
                        # as Debian's -slim images do: no documentation, manual pages or translations
                        "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
                        "--dpkgopt=path-exclude=/usr/share/locale/*",
                        "bookworm", str(tar)], check=True, capture_output=True, timeout=900)
        _podman("import", str(tar), BASE, timeout=300)


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}; .ci/run installs it")
        pytest.skip(f"{missing}; {ENABLE}")
    _make_base()
    ca = ["--volume", f"{CA_BUNDLE}:{CA_BUNDLE}:ro", "--build-arg", f"PIP_CERT={CA_BUNDLE}"] \
        if CA_BUNDLE.exists() else []
    started = time.monotonic()
    _podman("build", "--format", "docker", "--pull=never", "--network", "host", *LIMITS, *ca,
            "--tag", IMAGE, str(ROOT), timeout=1200)
    print(f"\nimage built in {time.monotonic() - started:.0f} s, "
          f"{int(_podman('image', 'inspect', '--format', '{{.Size}}', IMAGE).stdout) / 1e6:.0f} MB")
    yield IMAGE


class Containers:
    """Containers started by one test, all removed at its end."""

    def __init__(self, image: str, data: Path):
        self.image = image
        self.data = data
        self.names: list[str] = []

    def run(self, role: str, command: list[str], env: dict[str, str], *extra: str) -> str:
        name = f"simfeed-test-{role}-{uuid.uuid4().hex[:8]}"
        self.names.append(name)
        flags = [f"--env={key}={value}" for key, value in env.items()]
        _podman("run", "--detach", "--name", name, "--network", "host", *LIMITS,
                "--volume", f"{self.data}:/data", *flags, *extra, self.image, *command)
        return name

    def logs(self, name: str) -> str:
        done = _podman("logs", name, check=False)
        return done.stdout + done.stderr

    def running(self, name: str) -> bool:
        return _podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip() == "true"

    def wait_for(self, what: str, check: Callable[[], bool], name: str, seconds: float = 120) -> None:
        """Poll `check` until it holds; fail at once, with the container's output, if it stopped."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():
                return
            if not self.running(name):
                raise AssertionError(f"{what}: the container stopped; it said:\n{self.logs(name)[-3000:]}")
            time.sleep(0.25)
        raise AssertionError(f"{what} within {seconds} s; the container said:\n{self.logs(name)[-3000:]}")

    def remove(self) -> None:
        for name in self.names:
            _podman("rm", "--force", "--time", "5", name, check=False)


def _give(path: Path) -> Path:
    """`path` given to the image's user, as a named volume's files would be."""
    if os.geteuid() == 0:
        os.chown(path, UID, UID)
    else:  # rootless podman: the container's uids are mapped, chown through its user namespace
        _podman("unshare", "chown", f"{UID}:{UID}", str(path))
    return path


@pytest.fixture
def containers(image: str, tmp_path: Path) -> Iterator[Containers]:
    (tmp_path / "data").mkdir(mode=0o700)
    running = Containers(image, _give(tmp_path / "data"))
    try:
        yield running
    finally:
        running.remove()


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


class _Page:
    """An HTTP answer shaped like the Flask test client's, so the page tests' Visitor can drive it."""

    def __init__(self, response: requests.Response):
        self.status_code = response.status_code
        self.headers = response.headers
        self._text = response.text

    def get_data(self, as_text: bool = False) -> Any:
        return self._text if as_text else self._text.encode()


class _HttpClient:
    """get and post on a running server, with a cookie jar, no redirects followed (as the test client)."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def get(self, path: str, **kwargs: Any) -> _Page:
        return _Page(self.session.get(self.base + path, allow_redirects=False, timeout=30, **kwargs))

    def post(self, path: str, **kwargs: Any) -> _Page:
        return _Page(self.session.post(self.base + path, allow_redirects=False, timeout=30, **kwargs))


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _health(name: str) -> tuple[int, str]:
    """Run the image's HEALTHCHECK once (podman runs it on a timer only under systemd); its status after."""
    ran = _podman("healthcheck", "run", name, check=False)
    status = _podman("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
    return ran.returncode, status


def _after_start_period(name: str) -> None:
    """Wait until the container has run for its HEALTHCHECK's start period."""
    form = "{{.State.StartedAt.Unix}} {{.Config.Healthcheck.StartPeriod.Seconds}}"
    started, period = _podman("inspect", "--format", form, name).stdout.split()
    time.sleep(max(0.0, int(started) + float(period) + 1 - time.time()))


def test_web_and_worker_serve_keep_their_data_and_report_health(containers: Containers, http: HttpReceiver):
    today = datetime.now(UTC).date()
    config = containers.data / "sims.toml"
    # One SIM whose 3-day reminder is due now, whatever today is, and one channel to the receiver.
    text = config_text(http.url(), due=today + timedelta(days=3), zone="UTC", alarm_time="00:00",
                       public=False)
    config.write_text(text, encoding="utf-8")
    _give(config)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1"}

    web = containers.run("web", [], env)  # the image's own command
    containers.wait_for("the web container did not answer", lambda: _answers(f"{base}/healthz"), web)
    assert _health(web) == (0, "healthy")
    with urllib.request.urlopen(f"{base}/calendar.ics", timeout=10) as feed:
        assert feed.status == 200 and b"BEGIN:VCALENDAR" in feed.read()

    # A SIM added through the page, signed in with the admin token, as the editor's tests add one.
    browser = Visitor(_HttpClient(base))  # type: ignore[arg-type]
    assert browser.sign_in(ADMIN_TOKEN).status_code == 303
    page = browser.html("/sims/new")
    added = browser.client.post("/sims/new", data={
        "csrf_token": browser.hidden(page, "csrf_token"), "digest": browser.hidden(page, "digest"),
        "save": "1", "name": "HK hahaSIM", "preset": "hahasim", "last_renewal": today.isoformat()})
    assert (added.status_code, added.headers.get("Location")) == (303, "/sims/hk-hahasim")

    # A new container on the same data folder (as after an upgrade) still has it.
    _podman("rm", "--force", "--time", "10", web)
    web = containers.run("web", [], env)
    containers.wait_for("the new web container did not answer", lambda: _answers(f"{base}/healthz"), web)
    assert _health(web) == (0, "healthy")
    with urllib.request.urlopen(f"{base}/sims/hk-hahasim.ics", timeout=10) as kept:
        assert kept.status == 200 and b"BEGIN:VEVENT" in kept.read()

    # The worker, from the same image, sends the reminder due now to the receiver on loopback.
    worker = containers.run("worker", _procfile("worker"), env, "--no-healthcheck")
    containers.wait_for("no reminder reached the receiver", lambda: len(http.received) >= 1, worker)
    assert http.received[0]["title"]

    # /healthz drives the health status: a config with errors makes it 503, so the check fails.
    config.write_text(text + "\n[[sim]]\nid = \n", encoding="utf-8")
    containers.wait_for("/healthz did not fail", lambda: not _answers(f"{base}/healthz"), web)
    # Unhealthy after as many failed checks in a row as the image's HEALTHCHECK allows (3), once
    # its start period is over (podman counts no failure before, even after a success).
    _after_start_period(web)
    assert [_health(web) for _ in range(3)] == [(1, "healthy"), (1, "healthy"), (1, "unhealthy")]
    config.write_text(text, encoding="utf-8")
    containers.wait_for("/healthz did not recover", lambda: _answers(f"{base}/healthz"), web)
    assert _health(web) == (0, "healthy")
    assert "Traceback" not in containers.logs(web) + containers.logs(worker)


def test_a_data_folder_the_image_user_cannot_write_stops_it_with_what_to_do(image: str, tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)  # owned by the host's user (root in CI), not by the image's
    if os.geteuid() != 0:
        pytest.skip("needs a folder owned by a uid the container's user is not: run as root")
    (data / "sims.toml").write_text("# mine\n", encoding="utf-8")
    before = sorted(p.name for p in data.iterdir())
    done = _podman("run", "--rm", "--network", "host", *LIMITS, "--volume", f"{data}:/data",
                   "--no-healthcheck", image, *_procfile("web"), check=False, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"/data cannot be written by user 10001:10001 \(it belongs to 0:0\): "
                     r".*chown -R 10001:10001", done.stderr), done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in data.iterdir()) == before


def test_compose_runs_web_and_worker_from_one_image_on_one_volume_postgres_opt_in():
    import yaml

    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "postgres"}
    web, worker, postgres = services["web"], services["worker"], services["postgres"]
    assert postgres["profiles"] == ["postgres"] and "profiles" not in web and "profiles" not in worker
    for service in (web, worker):
        assert (service["build"], service["image"]) == (".", "simfeed:latest")
        assert service["volumes"] == ["data:/data"] and service["restart"] == "unless-stopped"
        # Secrets come from the environment or .env, never written here.
        assert all(re.fullmatch(r"\$\{[A-Z_]+:-[0-9]*\}", value) for value in service["environment"].values())
    assert "command" not in web and "disable" not in web["healthcheck"]  # the image's command and check
    assert worker["command"] == ["simfeed", "remind", "--loop"] and worker["healthcheck"] == {"disable": True}
    assert set(compose["volumes"]) == {"data", "postgres"}


def test_the_image_compose_and_procfile_name_the_same_two_commands():
    cmd = re.findall(r"^CMD (.+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert [json.loads(c) for c in cmd] == [_procfile("web")] == [["simfeed", "serve"]]
    compose = (ROOT / "compose.yaml").read_text()
    assert f"command: {json.dumps(_procfile('worker'))}" in compose
