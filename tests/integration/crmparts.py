"""The real parts of the CRM feed for integration tests: a schema registry
(Apicurio Registry, tests/registry/apicurio.sh), the CRM's database
(PostgreSQL, tests/postgres/postgres.sh) and Kafka Connect with Debezium's JDBC
sink (tests/connect/connect.sh), started from a test and stopped after it.

    with crmparts.crm_parts(ctx.bootstrap) as (registry, db, connect):
        connect.put_connector("crm", crmparts.jdbc_sink_config(topic, "leads", registry, db))
        connect.wait_running("crm")
        db.wait_rows("select ... from leads", expected)

Each part runs from a fresh state directory of its own and is stopped on
exit, unless its LR_<PART>_STATE_DIR names the state directory of one that
runs already (started by hand with the script): that one is used as it is and
left running. A part that cannot start raises PartError, so the test fails;
nothing skips. The first start of a part on a machine installs it (Maven
Central; minutes for the registry's build), later ones use the cache.
"""
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class PartError(RuntimeError):
    """A real part could not be installed, started or reached."""


def _request(method, url, body=None, timeout=10):
    """(status, parsed JSON body or text) of an HTTP request; PartError when
    nothing answers."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, method=method, data=data,
                                 headers={"Content-Type": "application/json",
                                          "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        raise PartError(f"{method} {url}: {e}") from None
    text = raw.decode(errors="replace")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


class Part:
    """One server run by its script: `start` in a state dir, `stop` at the end."""

    script = None      # path below the repository
    state_var = None   # LR_<PART>_STATE_DIR
    start_timeout = 1800  # a cold install included

    def __init__(self, env=None):
        self.env = dict(os.environ, **(env or {}))
        self.values = {}
        self.state_dir = None
        self.owned = False

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def run(self, *args, timeout=120, check=True):
        env = dict(self.env, **{self.state_var: str(self.state_dir)})
        try:
            proc = subprocess.run([str(REPO / self.script), *args], env=env,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise PartError(f"{self.script} {' '.join(args)} did not finish in {timeout} s:\n"
                            f"{exc.stderr or ''}") from None
        if check and proc.returncode != 0:
            raise PartError(f"{self.script} {' '.join(args)} failed with exit code "
                            f"{proc.returncode}:\n{proc.stderr}{proc.stdout}")
        return proc

    def start(self):
        shared = os.environ.get(self.state_var)
        if shared:
            self.state_dir = Path(shared)
            proc = self.run("env")
            print(f"crmparts: using the running part of {shared} ({self.state_var})", flush=True)
        else:
            # Under the system's temporary directory, reachable by the
            # postgres user (PostgreSQL runs as it when we are root).
            self.state_dir = Path(tempfile.mkdtemp(prefix=f"lr-{Path(self.script).stem}-"))
            self.owned = True
            t0 = time.monotonic()
            proc = self.run("start", timeout=self.start_timeout)
            print(f"crmparts: {self.script} started in {time.monotonic() - t0:.1f} s",
                  flush=True)
        self.values = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        return self

    def stop(self):
        if not self.owned:
            return
        try:
            self.run("stop")
        finally:
            self.owned = False
            if os.environ.get("LR_IT_KEEP") != "1":
                shutil.rmtree(self.state_dir, ignore_errors=True)

    def status(self):
        """The script's status line (pid, address, rss_kb)."""
        return self.run("status", check=False).stdout.strip()


class Registry(Part):
    """Apicurio Registry: `ccompat_url` is the Confluent Schema Registry API's
    base (for SchemaRegistryClient), `apicurio_url` Apicurio's own v2 API
    (for Apicurio's Connect converter)."""

    script = "tests/registry/apicurio.sh"
    state_var = "LR_REGISTRY_STATE_DIR"

    @property
    def url(self):
        return self.values["REGISTRY_URL"]

    @property
    def ccompat_url(self):
        return self.values["REGISTRY_CCOMPAT_URL"]

    @property
    def apicurio_url(self):
        return self.url + "/apis/registry/v2"


class Postgres(Part):
    """PostgreSQL with a database and user for the sink: `jdbc_url`, `user`,
    `password`; `query` runs SQL as that user."""

    script = "tests/postgres/postgres.sh"
    state_var = "LR_POSTGRES_STATE_DIR"
    start_timeout = 600

    @property
    def jdbc_url(self):
        return self.values["POSTGRES_URL"]

    @property
    def user(self):
        return self.values["POSTGRES_USER"]

    @property
    def password(self):
        return self.values["POSTGRES_PASSWORD"]

    def query(self, sql):
        """The rows of `sql` as tuples of strings (NULL is None)."""
        # Unit separator between fields, record separator for NULL; split on
        # "\n" only (str.splitlines would split on the record separator too).
        proc = self.run("psql", "-AtX", "-F", "\x1f", "-P", "null=\x1e", "-c", sql, timeout=60)
        return [tuple(None if v == "\x1e" else v for v in line.split("\x1f"))
                for line in proc.stdout.split("\n") if line]

    def table_exists(self, table):
        return self.query(f"select to_regclass('public.{table}') is not null") == [("t",)]

    def wait_rows(self, sql, expected, timeout=120):
        """Poll `sql` until its rows, as a set, equal `expected`; returns them."""
        expected = set(expected)
        deadline = time.monotonic() + timeout
        rows = None
        while True:
            try:
                rows = set(self.query(sql))
            except PartError as exc:  # the sink has not made the table yet
                rows = str(exc).strip().splitlines()[-1]
            if rows == expected:
                return rows
            if time.monotonic() >= deadline:
                raise AssertionError(f"after {timeout} s `{sql}` gives {rows!r}, "
                                     f"expected {sorted(expected)!r}")
            time.sleep(0.3)


class Connect(Part):
    """A Kafka Connect worker on `bootstrap`; connectors by REST at `url`."""

    script = "tests/connect/connect.sh"
    state_var = "LR_CONNECT_STATE_DIR"

    def __init__(self, bootstrap, env=None):
        super().__init__(dict(env or {}, KAFKA_BOOTSTRAP=bootstrap))

    @property
    def url(self):
        return self.values["CONNECT_URL"]

    def put_connector(self, name, config):
        """Create or reconfigure connector `name` (PUT /connectors/NAME/config)."""
        status, body = _request("PUT", f"{self.url}/connectors/{name}/config", config, timeout=60)
        if status not in (200, 201):
            raise PartError(f"Connect refused connector {name} ({status}): {body}")
        return body

    def delete_connector(self, name):
        status, body = _request("DELETE", f"{self.url}/connectors/{name}", timeout=60)
        if status not in (204, 404):
            raise PartError(f"Connect could not delete {name} ({status}): {body}")

    def connector_status(self, name):
        status, body = _request("GET", f"{self.url}/connectors/{name}/status")
        return body if status == 200 else None

    def wait_running(self, name, timeout=120):
        """Until the connector and all its tasks run; a failed one raises with its trace."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.connector_status(name)
            if st:
                states = [st["connector"]["state"]] + [t["state"] for t in st.get("tasks", [])]
                if "FAILED" in states:
                    raise AssertionError(f"connector {name} failed: {json.dumps(st, indent=1)}")
                if st.get("tasks") and all(s == "RUNNING" for s in states):
                    return st
            if time.monotonic() >= deadline:
                raise AssertionError(f"connector {name} not running after {timeout} s: {st}")
            time.sleep(0.3)

    def check_running(self, name):
        """Raise when the connector or a task has failed (call while waiting on its output)."""
        st = self.connector_status(name)
        for part in [st["connector"]] + st.get("tasks", []) if st else []:
            if part["state"] == "FAILED":
                raise AssertionError(f"connector {name} failed: {part.get('trace', '')[:4000]}")


@contextlib.contextmanager
def crm_parts(bootstrap):
    """(registry, postgres, connect), all three started for the broker at
    `bootstrap`, one after the other (two Maven installs at once could tread
    on each other in the local repository); stopped in reverse order."""
    with Registry() as registry, Postgres() as postgres, Connect(bootstrap) as connect:
        yield registry, postgres, connect


def jdbc_sink_config(topic, table, registry, postgres, **overrides):
    """The Debezium JDBC sink that mirrors a compacted topic into one table row
    per key: Confluent-framed Avro values resolved through Apicurio (content
    ids), string keys wrapped into a one-field struct `id` (the primary key),
    upserts, tombstones deleting the row, new fields adding columns."""
    config = {
        "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "connection.url": postgres.jdbc_url,
        "connection.username": postgres.user,
        "connection.password": postgres.password,
        "insert.mode": "upsert",
        "delete.enabled": "true",
        "primary.key.mode": "record_key",
        "primary.key.fields": "id",
        "schema.evolution": "basic",
        "collection.name.format": table,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "io.apicurio.registry.utils.converter.AvroConverter",
        "value.converter.apicurio.registry.url": registry.apicurio_url,
        "value.converter.apicurio.registry.as-confluent": "true",
        "value.converter.apicurio.registry.use-id": "contentId",
        "transforms": "key",
        "transforms.key.type": "org.apache.kafka.connect.transforms.HoistField$Key",
        "transforms.key.field": "id",
        "consumer.override.auto.offset.reset": "earliest",
    }
    config.update(overrides)
    return config
