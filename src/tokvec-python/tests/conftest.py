"""Fixtures: a Kafka broker with a schema registry, the tokvec jar, and tokvec applications run from it.

The broker comes from the environment (``TOKVEC_BOOTSTRAP_SERVERS``, ``TOKVEC_SCHEMA_REGISTRY_URL``:
``PythonPackageIT`` starts the embedded broker and the devkit registry and passes them), or else is
started here with ``java -jar target/tokvec.jar broker --port 0 --registry-port 0``. Tests that need
neither run anywhere; the others skip with the reason.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(TESTS)
ROOT = os.path.dirname(os.path.dirname(PACKAGE))
sys.path.insert(0, PACKAGE)  # the package as it is in the tree, installed or not


def wait_for(condition, timeout, what, interval=0.05):
    """Polls ``condition()`` until it returns a true value (returned) or ``timeout`` seconds pass (fails)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def jar():
    path = os.environ.get("TOKVEC_JAR") or os.path.join(ROOT, "target", "tokvec.jar")
    if not os.path.isfile(path):
        pytest.skip(f"no tokvec jar at {path} (build it with mvn package, or set TOKVEC_JAR)")
    if shutil.which(java()) is None:
        pytest.skip("no java to run the tokvec jar")
    return path


def java():
    home = os.environ.get("JAVA_HOME")
    return os.path.join(home, "bin", "java") if home else "java"


class Kafka:
    def __init__(self, bootstrap, registry):
        self.bootstrap = bootstrap
        self.registry = registry


@pytest.fixture(scope="session")
def kafka(request, tmp_path_factory):
    bootstrap = os.environ.get("TOKVEC_BOOTSTRAP_SERVERS")
    registry = os.environ.get("TOKVEC_SCHEMA_REGISTRY_URL")
    if bootstrap and registry:
        return Kafka(bootstrap, registry)
    jar_path = request.getfixturevalue("jar")
    data = tmp_path_factory.mktemp("broker")
    log = open(data / "broker.log", "w")
    proc = subprocess.Popen([java(), "-Xmx512m", "-jar", jar_path, "broker", "--port", "0", "--registry-port", "0",
                             "--dir", str(data / "data")], stdout=subprocess.PIPE, stderr=log, text=True)
    request.addfinalizer(lambda: _stop(proc))
    found = {}
    for line in proc.stdout:
        m = re.match(r"broker: listening on (\S+)", line)
        if m:
            found["bootstrap"] = m.group(1)
        m = re.match(r"broker: schema registry on (\S+)", line)
        if m:
            found["registry"] = m.group(1)
            break
    if len(found) != 2:
        pytest.fail(f"the broker did not start; see {data / 'broker.log'}")
    return Kafka(found["bootstrap"], found["registry"])


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)


class TokvecApp:
    """``java -jar tokvec.jar run --config FILE`` as a child process, with its operations endpoint."""

    def __init__(self, jar_path, kafka, settings, workdir):
        self.settings = dict(settings)
        self.table = settings.get("tokvec.table", "embeddings")
        self.input = settings["tokvec.topic.input"]
        self.output = settings["tokvec.topic.output"]
        self.model = settings["tokvec.topic.model"]
        self.dlq = settings["tokvec.topic.dlq"]
        self.kafka = kafka
        os.makedirs(workdir, exist_ok=True)
        conf = os.path.join(workdir, "tokvec.properties")
        props = {"bootstrap.servers": kafka.bootstrap, "schema.registry.url": kafka.registry,
                 "state.dir": os.path.join(workdir, "state"), "tokvec.http.port": "0", "tokvec.http.bind": "127.0.0.1",
                 "num.stream.threads": "1", "commit.interval.ms": "100"}
        props.update(settings)
        with open(conf, "w") as f:
            f.writelines(f"{k}={v}\n" for k, v in props.items())
        self.log_path = os.path.join(workdir, "app.log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([java(), "-Xmx384m", "-XX:+UseSerialGC", "-jar", jar_path, "run", "--config", conf],
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self._port = None

    def port(self):
        if self._port is None:
            def found():
                if self.proc.poll() is not None:
                    pytest.fail(f"tokvec run exited with {self.proc.returncode}; see {self.log_path}")
                with open(self.log_path) as f:
                    m = re.search(r"operations endpoint on http://[^:]+:(\d+)/", f.read())
                return m and int(m.group(1))
            self._port = wait_for(found, 180, f"tokvec run's operations endpoint ({self.log_path})", 0.2)
        return self._port

    def get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port()}{path}", timeout=10) as r:
                return r.status, json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode() or "{}")
        except OSError:
            return None, None

    def wait_active(self, version, timeout=120):
        """Waits until ``version`` is the active table and the application is ready."""
        def active():
            status, tables = self.get("/tables")
            ready, _ = self.get("/health/ready")
            return status == 200 and tables.get("active_version") == version and ready == 200
        wait_for(active, timeout, f"{self.table} v{version} active in tokvec run (/tables: {self.get('/tables')[1]}; "
                                  f"log {self.log_path})", 0.1)

    def close(self):
        _stop(self.proc)
        self._log.close()


def app_settings(prefix, **extra):
    """Settings of an application on topics of its own (``prefix-<random>``)."""
    name = unique(prefix)
    s = {"application.id": name, "tokvec.table": "emb", "tokvec.topic.input": name + "-events",
         "tokvec.topic.output": name + "-enriched", "tokvec.topic.model": name + "-model",
         "tokvec.topic.dlq": name + "-dlq", "tokvec.max.len": "6"}
    s.update({k.replace("_", "."): str(v) for k, v in extra.items()})
    return s


@pytest.fixture(scope="session")
def apps(jar, kafka, tmp_path_factory):
    """Two applications started side by side (a JVM start is the slow part): ``f32``, the defaults
    (float32, no pooling, max_len 6), and ``f16`` (float16 output, mean pooling, post padding)."""
    root = tmp_path_factory.mktemp("apps")
    started = {
        "f32": TokvecApp(jar, kafka, app_settings("py-f32"), str(root / "f32")),
        "f16": TokvecApp(jar, kafka, app_settings("py-f16", tokvec_output_dtype="float16", tokvec_pooling="mean",
                                                  tokvec_padding="post", tokvec_truncating="post"), str(root / "f16")),
    }
    yield started
    for a in started.values():
        a.close()


@pytest.fixture
def scratch():
    d = tempfile.mkdtemp(prefix="tokvec-py-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def read_all(kafka, topic, timeout=60):
    """Every (key, value) of ``topic`` partition 0, in order, up to its end now."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": unique("read-all"), "enable.auto.commit": False,
                  "isolation.level": "read_committed"})
    try:
        _, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=timeout)
        c.assign([TopicPartition(topic, 0, 0)])
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < high and time.monotonic() < deadline:
            out += [(m.key(), m.value()) for m in c.consume(500, 0.2) if m.error() is None]
        assert len(out) == high, f"read {len(out)} of {high} records of {topic}"
        return out
    finally:
        c.close()


def run_java(jar_path, *args, timeout=180):
    """``java -jar tokvec.jar ARGS``; fails the test with its output unless it exits 0."""
    r = subprocess.run([java(), "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar_path, *args], capture_output=True,
                       text=True, timeout=timeout)
    assert r.returncode == 0, f"tokvec {' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="session", autouse=True)
def _boot_apps_early(request):
    """Starts the applications when the session starts (if any selected test needs them and a jar
    and a broker are at hand), so that their JVMs boot while the tests before them run."""
    if any("apps" in item.fixturenames for item in request.session.items):
        try:
            request.getfixturevalue("apps")
        except pytest.skip.Exception:
            pass  # the tests that need them skip with the reason
