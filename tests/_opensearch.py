"""Real OpenSearch nodes for the tests, started once per session and shared.

Fixtures (registered by ``conftest.py``):

- ``opensearch_url``: the URL of one OpenSearch 3.6 node (single-node discovery);
- ``opensearch_cluster``: a :class:`Cluster` of three 3.6 nodes, which can find, kill -9 and
  restart the elected cluster manager;
- ``opensearch_secure``: a :class:`SecureNode`, OpenSearch 2.19 with the security plugin over
  HTTPS (its CA file, the admin user and password).

``.ci/opensearch-dist`` prepares the distributions and prints the environment read here;
``eval "$(bash .ci/opensearch-dist)"`` before ``python -m pytest -m opensearch`` gives a
developer the same nodes as CI. Without that environment, or with a Java too old, the tests
skip with the reason, or fail when ``NEWSINDEX_REQUIRE_OPENSEARCH`` is set (as CI sets it), so
that a broken install step cannot pass for a machine without Java.

Nodes listen on 127.0.0.1 only, on ports 19200-19299 (HTTP) and 19300-19399 (transport), which
no other test uses. On first use, every node the selected tests need is launched at once, so the
nodes start in parallel; they are stopped at the end of the session, and when the interpreter
exits. As root, each node runs as the system user the script made (OpenSearch refuses root),
with data and logs in a temporary folder of that user. A node is a direct child of the test
process (the script ``bin/opensearch`` execs the JVM), so its pid is the JVM's: a kill -9
reaches the JVM itself. On Linux the kernel also kills a node whose test process died.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

HOME_ENV = "NEWSINDEX_OPENSEARCH_HOME"
JAVA_ENV = "NEWSINDEX_OPENSEARCH_JAVA"
SECURE_HOME_ENV = "NEWSINDEX_OPENSEARCH_SECURE_HOME"
SECURE_JAVA_ENV = "NEWSINDEX_OPENSEARCH_SECURE_JAVA"
SECURE_PASSWORD_ENV = "NEWSINDEX_OPENSEARCH_SECURE_PASSWORD"
USER_ENV = "NEWSINDEX_OPENSEARCH_USER"
REQUIRE_ENV = "NEWSINDEX_REQUIRE_OPENSEARCH"

HTTP_PORTS = range(19200, 19300)
TRANSPORT_PORTS = range(19300, 19400)
HEAP = "-Xms512m -Xmx512m"
JIT = "-XX:TieredStopAtLevel=1"
"""The quick compiler only: a node that lives for a test session answers in about 40 % less
time (27 s against 48 s for one node on a busy two-core machine); the tests' indexes are small."""
START_TIMEOUT = 150.0
"""Seconds a node may take to answer: about 13 s alone, longer with five starting on two cores."""
STOP_TIMEOUT = 30.0
CLUSTER_SIZE = 3
"""Three cluster-manager-eligible nodes: with two, losing one can lose the quorum."""
SECURE_USER = "admin"

FIXTURES = {
    "opensearch_url": "single",
    "opensearch_cluster": "cluster",
    "opensearch_secure": "secure",
}
"""Fixture name → the group of nodes it needs."""

SETUP_HINT = 'run `eval "$(bash .ci/opensearch-dist)"` first'


class NodeError(RuntimeError):
    """A node did not start or stop as asked; the message ends with its log's last lines."""


def unavailable(reason: str) -> None:
    """Skip the test for ``reason``, or fail it where ``NEWSINDEX_REQUIRE_OPENSEARCH`` is set."""
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set)", pytrace=False)
    pytest.skip(reason)


def java_release(java_home: Path) -> int | None:
    """The feature release (17, 21, 25) of the Java at ``java_home``, or None if it does not run."""
    try:
        shown = subprocess.run(
            [str(java_home / "bin" / "java"), "-XshowSettings:properties", "-version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stderr
    except OSError:
        return None
    found = re.search(r"java\.specification\.version = (?:1\.)?(\d+)", shown)
    return int(found.group(1)) if found else None


@attrs.frozen
class Distribution:
    """An unpacked OpenSearch and the Java and user to run it with."""

    home: Path
    """The unpacked distribution (``bin/opensearch``)."""
    java: Path
    """A Java home it runs on."""
    user: str | None
    """The system user that runs it, when the tests run as root; None: the current user."""


def find_distribution(
    home_env: str, java_env: str, java_range: tuple[int, int], what: str
) -> Distribution:
    """The distribution the environment names, checked; skips or fails the test otherwise."""
    home, java = os.environ.get(home_env), os.environ.get(java_env)
    for name, value in ((home_env, home), (java_env, java)):
        if not value:
            unavailable(f"{what}: {name} is not set: {SETUP_HINT}")
    assert home and java
    if not (Path(home) / "bin" / "opensearch").is_file():
        unavailable(f"{what}: no bin/opensearch in {home_env}={home}: {SETUP_HINT}")
    release = java_release(Path(java))
    low, high = java_range
    if release is None or not low <= release <= high:
        needed = f"Java {low} or newer" if high >= 99 else f"Java {low} to {high}"
        unavailable(f"{what} needs {needed}; {java_env}={java} is {release or 'not a Java'}")
    user = os.environ.get(USER_ENV) or None
    if os.geteuid() == 0 and user is None:
        unavailable(f"{what} refuses to run as root and {USER_ENV} is not set: {SETUP_HINT}")
    return Distribution(Path(home), Path(java), user)


def main_distribution() -> Distribution:
    """OpenSearch 3.6 on Java 21 or newer."""
    return find_distribution(HOME_ENV, JAVA_ENV, (21, 99), "OpenSearch 3")


def secure_distribution() -> Distribution:
    """OpenSearch 2.19 with security, on Java 17 to 23 (it needs the security manager)."""
    return find_distribution(
        SECURE_HOME_ENV, SECURE_JAVA_ENV, (17, 23), "OpenSearch 2.19 with security"
    )


# --- ports and folders ------------------------------------------------------------------------

_taken: set[int] = set()
_port_locks: list[object] = []
PORT_LOCKS = Path(tempfile.gettempdir()) / "newsindex-opensearch-ports"
"""One lock file per port handed out, held while the session runs, so that test sessions
running side by side never pick the same port before a node has bound it."""


def _lock_port(port: int) -> bool:
    """Whether this session now holds ``port``'s lock (True where locks cannot be made)."""
    try:
        PORT_LOCKS.mkdir(mode=0o1777, exist_ok=True)
        handle = (PORT_LOCKS / f"{port}.lock").open("a")
    except OSError:
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _port_locks.append(handle)
    return True


def free_port(ports: range) -> int:
    """A port of ``ports`` free on 127.0.0.1, not handed out before in this session nor held
    by another one, tried from a random start."""
    start = random.randrange(len(ports))
    for offset in range(len(ports)):
        port = ports[(start + offset) % len(ports)]
        if port in _taken or not _lock_port(port):
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _taken.add(port)
        return port
    raise NodeError(f"no free port on 127.0.0.1 in {ports.start}-{ports.stop - 1}")


def owned_folder(path: Path, user: str | None) -> Path:
    """``path`` made (with parents) and given to ``user``."""
    path.mkdir(parents=True, exist_ok=True)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


_LIBC = ctypes.CDLL(None) if sys.platform == "linux" else None
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: the kernel kills it when the test process dies (Linux)."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


# --- one node ---------------------------------------------------------------------------------


@attrs.define(eq=False)
class Node:
    """One OpenSearch node: its process, ports and folders; started again with the same data."""

    name: str
    distribution: Distribution
    folder: Path
    """Holds ``data``, ``logs``, ``tmp`` and ``console.log``, all the node writes."""
    settings: dict[str, str]
    """``-E`` settings besides the name, paths and ports."""
    scheme: str = "http"
    http_port: int = attrs.field(factory=lambda: free_port(HTTP_PORTS))
    transport_port: int = attrs.field(factory=lambda: free_port(TRANSPORT_PORTS))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The node's HTTP address."""
        return f"{self.scheme}://127.0.0.1:{self.http_port}"

    @property
    def alive(self) -> bool:
        """Whether its process runs."""
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        """The JVM's process id."""
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        """Launches the process and returns at once (see :meth:`wait_until_answering`)."""
        if self.alive:
            return
        user = self.distribution.user
        for sub in ("data", "logs", "tmp"):
            owned_folder(self.folder / sub, user)
        options = {
            "node.name": self.name,
            "path.data": str(self.folder / "data"),
            "path.logs": str(self.folder / "logs"),
            "network.host": "127.0.0.1",
            "http.port": str(self.http_port),
            "transport.port": str(self.transport_port),
            # A nearly full disk would make indexes read-only mid-test.
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            **self.settings,
        }
        command = [str(self.distribution.home / "bin" / "opensearch")]
        for key, value in options.items():
            command += ["-E", f"{key}={value}"]
        # jvm.options writes GC logs and crash files under the distribution (shared by every
        # node, and not writable): they go to the node's own folder, or nowhere.
        java_options = (
            f"{HEAP} {JIT} -XX:-UsePerfData -Xlog:disable -Xlog:all=warning:stderr "
            "-XX:-HeapDumpOnOutOfMemoryError "
            f"-XX:ErrorFile={self.folder / 'logs' / 'hs_err_pid%p.log'}"
        )
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.folder),
            "OPENSEARCH_JAVA_HOME": str(self.distribution.java),
            "OPENSEARCH_JAVA_OPTS": java_options,
            "OPENSEARCH_TMPDIR": str(self.folder / "tmp"),
        }
        as_user = {}
        if user is not None:
            entry = pwd.getpwnam(user)
            as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        with (self.folder / "console.log").open("ab") as console:
            self.process = subprocess.Popen(
                command,
                cwd=self.folder,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
                **as_user,
            )

    def log_tail(self, lines: int = 25) -> str:
        """The last lines the node wrote to its console."""
        try:
            text = (self.folder / "console.log").read_text(errors="replace")
        except OSError:
            return "(no console log)"
        return "\n".join(text.splitlines()[-lines:])

    def fail(self, problem: str) -> NodeError:
        """An error for ``problem`` with the node's last log lines."""
        return NodeError(
            f"OpenSearch node {self.name} ({self.url}) {problem}; its log ends:\n{self.log_tail()}"
        )

    def wait_until_answering(
        self, get: Callable[[str], int], timeout: float = START_TIMEOUT
    ) -> None:
        """Polls ``GET /`` (through ``get``, which returns the HTTP status) until it gives 200."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive:
                raise self.fail(f"exited with status {self.process and self.process.returncode}")
            with contextlib.suppress(OSError):
                if get(self.url + "/") == 200:
                    return
            if time.monotonic() > deadline:
                raise self.fail(f"did not answer within {timeout:.0f} s")
            time.sleep(0.5)

    def signal(self, signum: int) -> None:
        """Sends ``signum`` to the JVM if it runs."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        """kill -9 of the JVM, and waits for it to be gone."""
        self.signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=STOP_TIMEOUT)

    def wait_stopped(self, timeout: float) -> None:
        """Waits for the process to end after a stop signal, killing it if it takes longer."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def plain_get(url: str, path: str = "") -> tuple[int, object]:
    """``GET url+path`` over plain HTTP: the status and the JSON body (None if not JSON)."""
    return _get(url + path, context=None, authorization=None)


def _get(url: str, context: ssl.SSLContext | None, authorization: str | None) -> tuple[int, object]:
    request = urllib.request.Request(url)
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


# --- the groups the fixtures hand out ---------------------------------------------------------


@attrs.define(eq=False)
class Cluster:
    """Three 3.6 nodes in one cluster, each eligible as cluster manager."""

    nodes: tuple[Node, ...]

    @property
    def urls(self) -> tuple[str, ...]:
        """Every node's URL, running or not."""
        return tuple(node.url for node in self.nodes)

    def live(self) -> tuple[Node, ...]:
        """The nodes whose process runs."""
        return tuple(node for node in self.nodes if node.alive)

    def get(self, path: str) -> tuple[int, object]:
        """``GET path`` from the first live node that answers."""
        for node in self.live():
            with contextlib.suppress(OSError):
                return plain_get(node.url, path)
        raise NodeError(f"no node of the cluster answers {path}")

    def cluster_manager(self, timeout: float = 60.0) -> Node:
        """The elected cluster manager (``_cat/cluster_manager``), waiting for an election."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError, NodeError):
                status, body = self.get("/_cat/cluster_manager?format=json")
                if status == 200 and isinstance(body, list) and body:
                    name = body[0].get("node")
                    for node in self.live():
                        if node.name == name:
                            return node
            if time.monotonic() > deadline:
                raise NodeError(f"no cluster manager elected within {timeout:.0f} s")
            time.sleep(0.5)

    def kill(self, node: Node) -> None:
        """kill -9 of ``node``'s JVM."""
        node.kill()

    def restart(self, node: Node) -> None:
        """Starts ``node`` again on its own data and ports, and waits until it answers."""
        node.start()
        node.wait_until_answering(lambda url: plain_get(url)[0])

    def wait_for_green(self, timeout: float = 120.0) -> dict[str, object]:
        """Waits until every node is in the cluster and it is green; returns the health."""
        deadline = time.monotonic() + timeout
        health: object = None
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, NodeError):
                status, health = self.get(
                    f"/_cluster/health?wait_for_status=green&wait_for_nodes={len(self.nodes)}"
                    "&timeout=5s"
                )
                if status == 200 and isinstance(health, dict) and not health.get("timed_out"):
                    return health
            time.sleep(0.5)
        raise NodeError(
            f"the cluster was not green with {len(self.nodes)} nodes within {timeout:.0f} s: "
            f"{health}"
        )

    def heal(self) -> None:
        """Restarts every stopped node and waits for green: the state each test starts from."""
        for node in self.nodes:
            if not node.alive:
                node.start()
        for node in self.nodes:
            node.wait_until_answering(lambda url: plain_get(url)[0])
        self.wait_for_green()


@attrs.frozen
class SecureNode:
    """OpenSearch 2.19 with the security plugin: HTTPS with demo certificates, passwords."""

    url: str
    """``https://127.0.0.1:PORT``."""
    ca_file: Path
    """The demo root CA, which verifies the node's certificate for 127.0.0.1 and localhost."""
    user: str
    """The admin user."""
    password: str
    """The admin user's password."""

    @property
    def plain_url(self) -> str:
        """The same port over plain ``http://``, which the node does not answer."""
        return "http://" + self.url.removeprefix("https://")

    def get(self, path: str, password: str | None = None) -> tuple[int, object]:
        """``GET path`` verified against the CA, as the admin (with ``password`` if given)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        token = b64encode(f"{self.user}:{password or self.password}".encode()).decode()
        return _get(self.url + path, context=context, authorization=f"Basic {token}")


# --- the nodes of a session -------------------------------------------------------------------


class Nodes:
    """Every node of the test session: launched together on first use, stopped together."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.groups: dict[str, tuple[Node, ...]] = {}
        self.session = f"{os.getpid()}-{random.randrange(1 << 30):x}"

    def base(self, user: str | None) -> Path:
        """The session's folder for node data, outside pytest's (which only its owner can enter)."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="newsindex-opensearch-"))
            owned_folder(self.folder, user)
        return self.folder

    def make(self, group: str) -> tuple[Node, ...]:
        """The nodes of ``group`` (not started); skips or fails when they cannot run here."""
        if group == "secure":
            dist = secure_distribution()
            settings = {
                "cluster.name": f"newsindex-secure-{self.session}",
                "discovery.type": "single-node",
            }
            return (
                Node("secure", dist, self.base(dist.user) / "secure", settings, scheme="https"),
            )
        dist = main_distribution()
        base = self.base(dist.user)
        if group == "single":
            settings = {
                "cluster.name": f"newsindex-single-{self.session}",
                "discovery.type": "single-node",
            }
            return (Node("single", dist, base / "single", settings),)
        names = [f"node-{n}" for n in range(1, CLUSTER_SIZE + 1)]
        nodes = [Node(name, dist, base / name, {}) for name in names]
        shared = {
            "cluster.name": f"newsindex-cluster-{self.session}",
            "discovery.seed_hosts": ",".join(f"127.0.0.1:{node.transport_port}" for node in nodes),
            "cluster.initial_cluster_manager_nodes": ",".join(names),
        }
        for node in nodes:
            node.settings.update(shared)
        return tuple(nodes)

    def launch(self, groups: set[str]) -> None:
        """Starts the nodes of every group in ``groups`` not started yet, without waiting. A
        group that cannot run here is left out; its fixture reports why when asked."""
        for group in sorted(groups - self.groups.keys()):
            try:
                nodes = self.make(group)
            except (pytest.skip.Exception, pytest.fail.Exception):
                continue
            self.groups[group] = nodes
            for node in nodes:
                node.start()

    def nodes(self, group: str) -> tuple[Node, ...]:
        """The started nodes of ``group``, launched now if they were not."""
        if group not in self.groups:
            self.groups[group] = self.make(group)
            for node in self.groups[group]:
                node.start()
        return self.groups[group]

    def stop(self) -> None:
        """Stops every node (SIGTERM, then SIGKILL after a while) and removes their folders."""
        every = [node for nodes in self.groups.values() for node in nodes]
        for node in every:
            node.signal(signal.SIGTERM)
        for node in every:
            node.wait_stopped(STOP_TIMEOUT)
        self.groups.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


NODES = Nodes()
atexit.register(NODES.stop)


def needed_groups(session: pytest.Session) -> set[str]:
    """The node groups the selected tests use: by their fixtures, and the single node for a
    test marked ``opensearch`` that asks for its node at run time (``getfixturevalue``)."""
    groups: set[str] = set()
    for item in session.items:
        names = set(getattr(item, "fixturenames", ()))
        groups |= {group for name, group in FIXTURES.items() if name in names}
        if not names & FIXTURES.keys() and item.get_closest_marker("opensearch"):
            groups.add("single")
    return groups


def launch_needed(request: pytest.FixtureRequest) -> None:
    """Launches every group the session needs, so that they start side by side."""
    NODES.launch(needed_groups(request.session))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks ``opensearch`` each test that uses a node fixture (before ``-m`` selects)."""
    for item in items:
        if FIXTURES.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.opensearch)


def pytest_sessionfinish() -> None:
    """Stops the nodes at the end of the session."""
    NODES.stop()


@pytest.fixture(scope="session")
def opensearch_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of one OpenSearch 3.6 node (single-node discovery), shared by the session."""
    launch_needed(request)
    (node,) = NODES.nodes("single")
    node.wait_until_answering(lambda url: plain_get(url)[0])
    yield node.url


@pytest.fixture(scope="session")
def opensearch_cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """Three OpenSearch 3.6 nodes in one cluster, green; shared by the session, so a test that
    kills a node calls :meth:`Cluster.heal` when it is done."""
    launch_needed(request)
    cluster = Cluster(NODES.nodes("cluster"))
    for node in cluster.nodes:
        node.wait_until_answering(lambda url: plain_get(url)[0])
    cluster.wait_for_green()
    yield cluster


@pytest.fixture(scope="session")
def opensearch_secure(request: pytest.FixtureRequest) -> Iterator[SecureNode]:
    """OpenSearch 2.19 with the security plugin over HTTPS, shared by the session."""
    launch_needed(request)
    (node,) = NODES.nodes("secure")
    password = os.environ.get(SECURE_PASSWORD_ENV)
    if not password:
        unavailable(
            f"OpenSearch 2.19 with security: {SECURE_PASSWORD_ENV} is not set: {SETUP_HINT}"
        )
    assert password
    secure = SecureNode(
        url=node.url,
        ca_file=node.distribution.home / "config" / "root-ca.pem",
        user=SECURE_USER,
        password=password,
    )
    # 200 once the security index is made; before that the node answers 503.
    node.wait_until_answering(lambda url: secure.get("/")[0])
    yield secure
