"""Shared machinery for lead-router's integration tests against a real Kafka broker.

Every tests/integration/test_<name>.py is a standalone script:

    python3 tests/integration/test_<name>.py --binary build/lead-router

It defines functions named test_* that take one argument, a Ctx, and ends with
`harness.main()`. main() starts one broker for the file (tests/kafka/broker.sh,
or the broker named by LR_KAFKA_BOOTSTRAP), runs the tests in file order, prints
PASS/FAIL per test and a closing line "N passed, M failed", and exits non-zero
when anything failed. A broker that cannot start fails every test: nothing is
ever skipped.

What is here:
  Avro       encode/decode/frame/unframe: the schemas in schemas/*.avsc with the
             Confluent framing (magic byte 0, 4-byte big-endian schema id).
  Records    make_lead, activity, make_sales_activity: complete records with
             sensible defaults.
  Broker     start/stop/restart the broker, create topics, inspect groups.
  Producer   produce with delivery reports (partition and offset of each message).
  Reader     read topics from the beginning (read_committed by default) and wait
             for a predicate over everything read so far.
  Config     make_config: a lead-router YAML derived from docs/lead-router.example.yaml.
  Router     run `lead-router run -c CONFIG`, stop it with SIGTERM, expect exit 0.
  prime_router  wait until a started router consumes every input partition.
  HTTP       free_port, http_request: the router's `http:` listener.
  Checks     read_router_output, check_exactly_once: read everything a router
             committed and assert each lead decided once, no event twice, no
             assignment twice, alerts at most once and breaches exactly once.

Environment:
  LR_KAFKA_BOOTSTRAP   use this broker instead of starting one (host:port)
  LR_KAFKA_STATE_DIR   with LR_KAFKA_BOOTSTRAP: the state dir broker.sh used for
                       it, so that Broker.restart() can restart it
  LR_IT_KEEP=1         keep each test's temporary directory (configs, router logs)
Times are milliseconds since the Unix epoch (UTC) everywhere, as on the wire.
"""
import argparse
import copy
import inspect
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import string
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict, namedtuple
from functools import lru_cache, partial
from pathlib import Path

try:
    import fastavro
    import yaml
    from confluent_kafka import (OFFSET_BEGINNING, Consumer, ConsumerGroupState,
                                 KafkaException, Producer as _KafkaProducer,
                                 TopicPartition)
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError as exc:  # the tests must fail, loudly, without their client
    print(f"harness: missing Python package ({exc}); install them with:\n"
          f"  python3 -m pip install -r {Path(__file__).with_name('requirements.txt')}",
          file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)

REPO = Path(__file__).resolve().parents[2]
BROKER_SH = REPO / "tests" / "kafka" / "broker.sh"
SCHEMA_DIR = REPO / "schemas"
EXAMPLE_CONFIG = REPO / "docs" / "lead-router.example.yaml"

# The topic keys of the config's kafka.topics section, inputs first.
TOPIC_KEYS = ("leads", "sales_activity", "assignments", "nurture", "status", "alerts",
              "dead_letter", "state")
# The router's changelog (kafka.topics.state): it must exist, compacted.
STATE_TOPIC_CONFIG = {"cleanup.policy": "compact"}
# Stage 1's lead -> domain changelog (kafka.topics.lead_domains, shared mode):
# an entry is needed for the duplicate window only (7 days in the example).
LEAD_DOMAINS_TOPIC_CONFIG = {"cleanup.policy": "delete",
                             "retention.ms": str(8 * 24 * 3600 * 1000)}
INPUT_TOPIC_KEYS = ("leads", "sales_activity")

SCHEMA_FILES = {
    "lead": "Lead.avsc",
    "sales_activity": "SalesActivity.avsc",
    "decision": "LeadDecision.avsc",
    "status": "LeadStatus.avsc",
    "alert": "SlaAlert.avsc",
    "rep": "Rep.avsc",
    "account_owner": "AccountOwner.avsc",
}
# As in the example config's kafka.schema_ids (rep and account_owner: the defaults).
SCHEMA_IDS = {"lead": 1, "sales_activity": 2, "decision": 3, "status": 4, "alert": 5,
              "rep": 6, "account_owner": 7}

# The DLQ headers the router adds to a dead-lettered message.
DLQ_HEADERS = ("lr.error.code", "lr.error.reason", "lr.source.topic", "lr.source.partition",
               "lr.source.offset", "lr.router.version")


def free_port():
    """A TCP port free on 127.0.0.1 right now (for a listener of the test's)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms():
    return int(time.time() * 1000)


def log(*args):
    print(*args, flush=True)


def random_suffix(n=8):
    return "".join(random.SystemRandom().choice(string.ascii_lowercase + string.digits)
                   for _ in range(n))


def wait_for(predicate, timeout, interval=0.2, what="condition"):
    """Call predicate() until it returns a true value, which is returned.

    Raises AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


# ------------------------------------------------------------------ HTTP --

def free_port():
    """A loopback TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(url, method="GET", timeout=5):
    """(status, body) of a request with an empty body; a refused connection
    is (None, reason)."""
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
        return None, str(e)


# ------------------------------------------------------------------ Avro --

def _strip_logical_types(node):
    # Tests work with the wire values (timestamp-millis as plain ints), not
    # with datetime objects; logical types do not change the binary encoding.
    if isinstance(node, dict):
        return {k: _strip_logical_types(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_strip_logical_types(v) for v in node]
    return node


@lru_cache(maxsize=None)
def schema(kind):
    """The parsed schema of `kind` (lead, sales_activity, decision, status, alert)."""
    with open(SCHEMA_DIR / SCHEMA_FILES[kind], encoding="utf-8") as f:
        return fastavro.parse_schema(_strip_logical_types(json.load(f)))


def avro_bytes(kind, record):
    """Avro binary of `record`, without framing."""
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema(kind), record)
    return out.getvalue()


def avro_record(kind, payload):
    """Decode Avro binary (no framing); every byte must be used."""
    buf = io.BytesIO(payload)
    record = fastavro.schemaless_reader(buf, schema(kind))
    if buf.tell() != len(payload):
        raise ValueError(f"{len(payload) - buf.tell()} bytes left after the {kind} record")
    return record


def frame(schema_id, payload, magic=0):
    """Confluent framing: magic byte, schema id as 4 bytes big-endian, then the payload."""
    return struct.pack(">BI", magic, schema_id) + payload


def unframe(data):
    """(magic, schema_id, payload) of a framed message."""
    if data is None or len(data) < 5:
        raise ValueError(f"{0 if data is None else len(data)} bytes is too short for the framing")
    magic, schema_id = struct.unpack_from(">BI", data)
    return magic, schema_id, data[5:]


def encode(kind, record, schema_id=None, magic=0):
    """A framed Avro message of `kind`, with its schema id from SCHEMA_IDS by default."""
    return frame(SCHEMA_IDS[kind] if schema_id is None else schema_id, avro_bytes(kind, record),
                 magic)


def decode(kind, data):
    """Decode a framed message, asserting magic 0 and the schema id of `kind`."""
    magic, schema_id, payload = unframe(data)
    assert magic == 0, f"{kind}: magic byte {magic}, expected 0"
    assert schema_id == SCHEMA_IDS[kind], \
        f"{kind}: schema id {schema_id}, expected {SCHEMA_IDS[kind]}"
    return avro_record(kind, payload)


# --------------------------------------------------------------- records --

def activity(type_, at, detail=None):
    """One Lead.activities entry; type_ as in the ActivityType enum (DEMO_REQUEST...)."""
    return {"type": type_.upper(), "at": at, "detail": detail}


def make_lead(lead_id, **fields):
    """A complete Lead record: `fields` override the defaults (all optional fields null)."""
    record = {name: None for name in (
        "source", "channel", "campaign", "email", "first_name", "last_name", "job_title",
        "phone", "company_name", "company_domain", "industry", "company_size",
        "annual_revenue", "country", "region", "language", "product_interest", "consent")}
    record.update(lead_id=lead_id, event_time=now_ms(), activities=[], attributes={})
    unknown = set(fields) - set(record)
    assert not unknown, f"make_lead: no such Lead fields: {sorted(unknown)}"
    record.update(fields)
    return record


def make_sales_activity(lead_id, kind, rep_id, activity_id=None, occurred_at=None, **fields):
    """A complete SalesActivity record; kind as in SalesActivityKind (CONTACTED...)."""
    record = {
        "activity_id": activity_id or f"{lead_id}:{kind.lower()}:{uuid.uuid4().hex[:12]}",
        "lead_id": lead_id,
        "kind": kind.upper(),
        "rep_id": rep_id,
        "occurred_at": now_ms() if occurred_at is None else occurred_at,
        "assignment_id": None,
        "reason": None,
        "opportunity_value": None,
    }
    unknown = set(fields) - set(record)
    assert not unknown, f"make_sales_activity: no such fields: {sorted(unknown)}"
    record.update(fields)
    return record


# Realistic leads. Every category steers clear of the example config's account
# domains (bigcorp.com, megabank.de), so account routing happens only on purpose.
LEAD_CATEGORIES = ("enterprise_eu", "na", "demo", "student", "no_consent", "blocked",
                   "apac", "german")
_FIRST = ("Ana", "Ben", "Chloe", "Dmitri", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas",
          "Kwame", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tara")
_LAST = ("Adler", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Huber", "Ito",
         "Jansen", "Kowalski", "Larsen", "Moreau", "Novak", "Okafor", "Patel", "Rossi",
         "Schmidt", "Tanaka", "Weber")
_WORDS = ("north", "blue", "quantum", "river", "summit", "atlas", "nova", "vertex", "harbor",
          "lumen", "cobalt", "pioneer")
_DECISION_TITLES = ("VP Sales", "Chief Revenue Officer", "Director of IT", "Head of Engineering",
                    "Vice President Marketing", "Chief Technology Officer")
_OTHER_TITLES = ("Software Engineer", "Marketing Manager", "Analyst", "Account Executive",
                 "Operations Lead", "Consultant")
_EU = (("DE", "de"), ("FR", "fr"), ("NL", "nl"), ("SE", "sv"), ("ES", "es"), ("IT", "it"),
       ("IE", "en"), ("PL", "pl"))
_NA = (("US", "en"), ("CA", "en"), ("CA", "fr"))
_APAC_LATAM = (("JP", "ja", "APAC"), ("AU", "en", "APAC"), ("SG", "en", "APAC"),
               ("BR", "pt", "LATAM"), ("MX", "es", "LATAM"), ("IN", "en", "APAC"))
_DAY = 86_400_000


def sample_lead(rng, category, lead_id, now=None):
    """A plausible Lead of `category` (see LEAD_CATEGORIES), drawn from `rng`:
      enterprise_eu  region EU, 1000+ employees, target industry, decision maker,
                     phone, consent, recent engagement: fit alone is sales-ready
      na             US/CA, region NA, mixed fit and engagement
      demo           any region, with a DEMO_REQUEST (the fast-lane override)
      student        free-mail address, job title "student...", APAC/LATAM, no company
      no_consent     strong NA fit and engagement, consent false, no demo request
      blocked        a mailinator.com address, no demo request
      apac           APAC/LATAM companies, mixed engagement
      german         no region, language de, country AT/CH, good fit and engagement
    """
    now = now_ms() if now is None else now
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    slug = f"{rng.choice(_WORDS)}{rng.choice(_WORDS)}{rng.randrange(100000)}"

    def ago(max_days):
        return now - rng.randrange(60_000, max_days * _DAY)

    def acts(*types):
        return [activity(t, ago(10), f"https://{slug}.example/{t.lower()}") for t in types]

    lead = dict(event_time=now - rng.randrange(1_000, 300_000),
                source=rng.choice(("web", "event", "partner", "paid_search")),
                channel=rng.choice(("organic", "cpc", "email", None)),
                campaign=rng.choice(("spring-launch", "webinar-series", "retargeting", None)),
                first_name=first, last_name=last,
                product_interest=rng.choice(("routing", "scoring", "analytics", None)),
                consent=rng.choice((True, None)))
    email_user = f"{first.lower()}.{last.lower()}"
    if category == "enterprise_eu":
        country, language = rng.choice(_EU)
        domain = f"{slug}.{country.lower()}"
        lead.update(email=f"{email_user}@{domain}", company_domain=domain,
                    company_name=f"{slug.title()} AG", job_title=rng.choice(_DECISION_TITLES),
                    phone=f"+{rng.randrange(30, 49)} {rng.randrange(10**7, 10**8)}",
                    company_size=rng.randrange(1000, 50000),
                    annual_revenue=rng.randrange(10**8, 10**10),
                    industry=rng.choice(("software", "fintech", "healthcare")),
                    region="EU", country=country, language=language, consent=True,
                    activities=acts("PRICING_PAGE", "WEBINAR_ATTENDED", "CONTENT_DOWNLOAD"),
                    attributes={"plan": rng.choice(("enterprise", "team"))})
    elif category in ("na", "no_consent", "blocked"):
        country, language = rng.choice(_NA)
        domain = f"{slug}.com"
        strong = category != "na" or rng.random() < 0.5
        lead.update(email=f"{email_user}@{domain}", company_domain=domain,
                    company_name=f"{slug.title()} Inc",
                    job_title=rng.choice(_DECISION_TITLES if strong else _OTHER_TITLES),
                    phone=f"+1 555 {rng.randrange(10**6, 10**7)}" if strong else None,
                    company_size=rng.randrange(200, 8000) if strong else rng.randrange(5, 200),
                    industry=rng.choice(("software", "fintech", "retail", "education")),
                    region="NA", country=country, language=language,
                    activities=acts(*rng.sample(("PRICING_PAGE", "EMAIL_CLICK", "EMAIL_OPEN",
                                                 "CONTENT_DOWNLOAD", "WEBINAR_ATTENDED",
                                                 "FREE_TRIAL"), rng.randrange(0, 4))))
        if category == "no_consent":
            lead.update(consent=False, activities=acts("PRICING_PAGE", "CONTENT_DOWNLOAD"))
        elif category == "blocked":
            lead.update(email=f"{email_user}{rng.randrange(1000)}@mailinator.com")
    elif category == "demo":
        country, language, region = rng.choice(_APAC_LATAM + tuple((c, l, "EU") for c, l in _EU)
                                               + tuple((c, l, "NA") for c, l in _NA))
        domain = f"{slug}.io"
        lead.update(email=f"{email_user}@{domain}", company_domain=domain,
                    company_name=f"{slug.title()} Ltd",
                    job_title=rng.choice(_DECISION_TITLES + _OTHER_TITLES),
                    company_size=rng.randrange(20, 20000),
                    industry=rng.choice(("software", "fintech", "healthcare", "logistics")),
                    region=region, country=country, language=language,
                    activities=[activity("DEMO_REQUEST", now - rng.randrange(60_000, 3_600_000),
                                         "https://example.com/demo")]
                    + acts(*rng.sample(("PAGE_VIEW", "PRICING_PAGE", "EMAIL_OPEN"), 1)))
    elif category == "student":
        country, language, region = rng.choice(_APAC_LATAM)
        lead.update(email=f"{email_user}{rng.randrange(100)}@"
                          f"{rng.choice(('gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com'))}",
                    job_title=rng.choice(("student", "student at a university",
                                          "student assistant")),
                    region=region, country=country, language=language, consent=True,
                    activities=acts("EMAIL_OPEN"))
    elif category == "apac":
        country, language, region = rng.choice(_APAC_LATAM)
        domain = f"{slug}.co"
        lead.update(email=f"{email_user}@{domain}", company_domain=domain,
                    company_name=f"{slug.title()} Pte", job_title=rng.choice(_DECISION_TITLES),
                    company_size=rng.randrange(100, 5000),
                    industry=rng.choice(("software", "fintech", "manufacturing")),
                    region=region, country=country, language=language,
                    phone=f"+65 {rng.randrange(10**7, 10**8)}",
                    activities=acts(*rng.sample(("PRICING_PAGE", "WEBINAR_ATTENDED",
                                                 "FREE_TRIAL", "EMAIL_CLICK"),
                                                rng.randrange(0, 4))))
    elif category == "german":
        country = rng.choice(("AT", "CH"))
        domain = f"{slug}.{country.lower()}"
        lead.update(email=f"{email_user}@{domain}", company_domain=domain,
                    company_name=f"{slug.title()} GmbH", job_title=rng.choice(_DECISION_TITLES),
                    company_size=rng.randrange(200, 1000), industry="software",
                    country=country, language="de", consent=True,
                    phone=f"+43 {rng.randrange(10**7, 10**8)}",
                    activities=acts("PRICING_PAGE", "WEBINAR_ATTENDED", "FREE_TRIAL"))
    else:
        raise ValueError(f"unknown lead category {category!r}")
    return make_lead(lead_id, **lead)


def lead_mix(counts, run_id, seed=7, now=None):
    """[(category, lead)] with counts[category] leads of each, shuffled, ids
    "<run_id>-<category>-<n>"; deterministic for a seed (apart from times)."""
    rng = random.Random(seed)
    now = now_ms() if now is None else now
    mix = [(cat, sample_lead(rng, cat, f"{run_id}-{cat}-{i:03d}", now))
           for cat, n in counts.items() for i in range(n)]
    rng.shuffle(mix)
    return mix


def reasons_of(decision, kind):
    """The reasons of a decoded LeadDecision whose kind is `kind` (CHOSEN, OVERFLOW...)."""
    return [r for r in decision["reasons"] if r["kind"] == kind]


# ---------------------------------------------------------------- broker --

class BrokerError(RuntimeError):
    """The broker could not be started, restarted or reached."""


class Broker:
    """A Kafka broker for the tests: the one in LR_KAFKA_BOOTSTRAP, else our own.

    Our own is started by tests/kafka/broker.sh in a fresh state directory and
    stopped on exit. Any failure raises BrokerError, so a test using it fails.
    own=True ignores LR_KAFKA_BOOTSTRAP; env adds variables for broker.sh.
    """

    def __init__(self, own=False, env=None, start_timeout=1800):
        self.bootstrap = None
        self.state_dir = None
        self.owned = False
        self.values = {}     # what broker.sh start printed (KAFKA_SASL_SSL_BOOTSTRAP...)
        self.env = dict(os.environ, **(env or {}))
        self.start_timeout = start_timeout
        self._admin = None
        self._own = own

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _script(self, *args, timeout):
        env = dict(self.env, LR_KAFKA_STATE_DIR=str(self.state_dir))
        try:
            proc = subprocess.run([str(BROKER_SH), *args], env=env, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise BrokerError(f"broker.sh {' '.join(args)} did not finish in {timeout} s:\n"
                              f"{exc.stderr or ''}") from None
        if proc.returncode != 0:
            raise BrokerError(f"broker.sh {' '.join(args)} failed with exit code "
                              f"{proc.returncode}:\n{proc.stderr}{proc.stdout}")
        values = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        return values, proc.stderr

    def start(self):
        external = os.environ.get("LR_KAFKA_BOOTSTRAP")
        if external and not self._own:
            self.bootstrap = external
            state = os.environ.get("LR_KAFKA_STATE_DIR")
            self.state_dir = Path(state) if state else None
            log(f"harness: using the broker at {external} (LR_KAFKA_BOOTSTRAP)")
        else:
            self.state_dir = Path(tempfile.mkdtemp(prefix="lr-kafka-"))
            self.owned = True
            t0 = time.monotonic()
            values, _ = self._script("start", timeout=self.start_timeout)
            self.values = values
            if "KAFKA_BOOTSTRAP" not in values:
                raise BrokerError("broker.sh start printed no KAFKA_BOOTSTRAP line")
            self.bootstrap = values["KAFKA_BOOTSTRAP"]
            log(f"harness: started Kafka {values.get('KAFKA_VERSION', '?')} at {self.bootstrap}"
                f" in {time.monotonic() - t0:.1f} s (log: {values.get('KAFKA_BROKER_LOG')})")
        try:
            self.admin().list_topics(timeout=30)
        except KafkaException as exc:
            raise BrokerError(f"the broker at {self.bootstrap} does not answer: {exc}") from None
        return self

    def stop(self):
        if self._admin is not None:
            self._admin = None
        if self.owned and self.state_dir is not None:
            try:
                self._script("stop", timeout=120)
            finally:
                if os.environ.get("LR_IT_KEEP") != "1":
                    shutil.rmtree(self.state_dir, ignore_errors=True)
                self.owned = False

    def restart(self, hard=False, down_seconds=0):
        """Stop the broker (SIGKILL when hard) and start it again, same port and data."""
        if self.state_dir is None:
            raise BrokerError("restart needs a broker started by broker.sh: unset "
                              "LR_KAFKA_BOOTSTRAP, or also set LR_KAFKA_STATE_DIR")
        args = ["restart"] + (["--hard"] if hard else [])
        if down_seconds:
            args += ["--down", str(down_seconds)]
        values, _ = self._script(*args, timeout=300)
        if values.get("KAFKA_BOOTSTRAP") != self.bootstrap:
            raise BrokerError(f"the broker came back at {values.get('KAFKA_BOOTSTRAP')}, "
                              f"not {self.bootstrap}")
        self._admin = None
        self.admin().list_topics(timeout=30)

    def status(self):
        """broker.sh status output (includes rss_kb), or '' for an external broker."""
        if self.state_dir is None:
            return ""
        env = dict(self.env, LR_KAFKA_STATE_DIR=str(self.state_dir))
        return subprocess.run([str(BROKER_SH), "status"], env=env, capture_output=True,
                              text=True).stdout.strip()

    def pid(self):
        """The broker's process id, or None when broker.sh does not know it."""
        m = re.search(r"\bpid=(\d+)", self.status())
        return int(m.group(1)) if m else None

    def admin(self):
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap})
        return self._admin

    def create_topics(self, topics, partitions=3, config=None, timeout=30):
        """Create topics: a list of names, or a dict name -> partition count."""
        if not isinstance(topics, dict):
            topics = {name: partitions for name in topics}
        new = [NewTopic(name, num_partitions=n, replication_factor=1, config=config or {})
               for name, n in topics.items()]
        for name, future in self.admin().create_topics(new, request_timeout=timeout).items():
            try:
                future.result(timeout)
            except KafkaException as exc:
                raise BrokerError(f"creating topic {name} failed: {exc}") from None
        # Topic creation is asynchronous on the broker: wait until every
        # partition has a leader, so that the first produce does not race it.
        def ready():
            md = self.admin().list_topics(timeout=10).topics
            return all(name in md and md[name].error is None
                       and len(md[name].partitions) == n
                       and all(p.leader >= 0 for p in md[name].partitions.values())
                       for name, n in topics.items())
        wait_for(ready, timeout, what=f"topics {sorted(topics)} to have leaders")
        return list(topics)

    def delete_topics(self, names, timeout=30):
        for name, future in self.admin().delete_topics(list(names),
                                                       request_timeout=timeout).items():
            future.result(timeout)

    def partitions(self, topic):
        md = self.admin().list_topics(topic, timeout=10).topics[topic]
        if md.error is not None:
            raise BrokerError(f"topic {topic}: {md.error}")
        return sorted(md.partitions)

    def describe_group(self, group):
        """The ConsumerGroupDescription of `group` (state, members, assignments)."""
        return self.admin().describe_consumer_groups([group])[group].result(30)

    def wait_group_stable(self, group, topics, timeout=60, members=None):
        """Wait until `group` is Stable and its members own every partition of `topics`."""
        wanted = {(t, p) for t in topics for p in self.partitions(t)}
        seen = {"state": "no answer yet"}

        def stable():
            try:
                desc = self.describe_group(group)
            except KafkaException as exc:
                # NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS... while the
                # group's coordinator starts: ask again.
                seen["state"] = str(exc)
                return None
            seen["state"] = f"{desc.state}, {len(desc.members)} members"
            if desc.state != ConsumerGroupState.STABLE:
                return None
            if members is not None and len(desc.members) != members:
                return None
            owned = {(tp.topic, tp.partition) for m in desc.members
                     for tp in (m.assignment.topic_partitions if m.assignment else [])}
            return desc if wanted <= owned else None
        try:
            return wait_for(stable, timeout, interval=0.3,
                            what=f"consumer group {group} to be stable and own {sorted(topics)}")
        except AssertionError as exc:
            raise AssertionError(f"{exc} (last seen: {seen['state']})") from None

    def committed(self, group, topic):
        """{partition: committed offset} of `group` on `topic` (-1001 when none)."""
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                             "enable.auto.commit": False})
        try:
            tps = consumer.committed([TopicPartition(topic, p) for p in self.partitions(topic)],
                                     timeout=30)
            return {tp.partition: tp.offset for tp in tps}
        finally:
            consumer.close()

    def end_offsets(self, topic):
        """{partition: high watermark} of `topic`: the offset the next message
        produced to each partition will get. Two equal answers prove that
        nothing was produced to the topic in between."""
        consumer = Consumer({"bootstrap.servers": self.bootstrap,
                             "group.id": f"lr-it-offsets-{random_suffix()}",
                             "enable.auto.commit": False})
        try:
            return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30,
                                                      cached=False)[1]
                    for p in self.partitions(topic)}
        finally:
            consumer.close()

    def router_topics(self, run_id, partitions=3, overrides=None):
        """Create the eight topics a router needs, named lr-<key>-<run_id>.

        Returns {config key: topic name}, ready for make_config. `partitions`
        applies to every topic; `overrides` maps a key to its own count. The
        state topic is created compacted."""
        names = {key: f"lr-{key.replace('_', '-')}-{run_id}" for key in TOPIC_KEYS}
        counts = {names[k]: (overrides or {}).get(k, partitions) for k in TOPIC_KEYS
                  if k != "state"}
        self.create_topics(counts)
        self.create_topics({names["state"]: (overrides or {}).get("state", partitions)},
                           config=STATE_TOPIC_CONFIG)
        return names


# -------------------------------------------------------------- producer --

Delivered = namedtuple("Delivered", "topic partition offset key value headers")


class Producer:
    """An idempotent producer that records where each message landed."""

    def __init__(self, bootstrap, **conf):
        settings = {"bootstrap.servers": bootstrap, "enable.idempotence": True,
                    "linger.ms": 5, "acks": "all"}
        settings.update(conf)
        self._producer = _KafkaProducer(settings)
        self._results = []
        self._errors = []

    def _on_delivery(self, index, err, msg):
        if err is not None:
            self._errors.append(f"message {index} to {msg.topic()}: {err}")
        else:
            # Delivery reports do not carry the headers: keep what was sent.
            key, value, headers = self._results[index]
            self._results[index] = Delivered(msg.topic(), msg.partition(), msg.offset(),
                                             key, value, headers)

    def send(self, topic, value, key=None, headers=None, partition=None):
        """Queue one message; returns its index in the list flush() returns."""
        if isinstance(key, str):
            key = key.encode("utf-8")
        if isinstance(value, str):
            value = value.encode("utf-8")
        index = len(self._results)
        self._results.append((key, value, [(k, v.encode("utf-8") if isinstance(v, str) else v)
                                           for k, v in headers or []]))
        kwargs = {"partition": partition} if partition is not None else {}
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, headers=headers or None,
                                       on_delivery=partial(self._on_delivery, index), **kwargs)
                break
            except BufferError:
                self._producer.poll(0.1)
        self._producer.poll(0)
        return index

    def send_record(self, topic, kind, record, key=None, headers=None, partition=None):
        """Send `record` encoded as `kind` with the Confluent framing, keyed by
        its lead_id unless `key` is given."""
        return self.send(topic, encode(kind, record),
                         key=record.get("lead_id") if key is None else key,
                         headers=headers, partition=partition)

    def flush(self, timeout=60):
        """Wait for every delivery; returns a Delivered per message sent, in order."""
        remaining = self._producer.flush(timeout)
        if remaining:
            raise AssertionError(f"{remaining} messages still undelivered after {timeout} s")
        if self._errors:
            raise AssertionError("delivery failed: " + "; ".join(self._errors[:5]))
        undelivered = [i for i, r in enumerate(self._results) if not isinstance(r, Delivered)]
        if undelivered:
            raise AssertionError(f"no delivery report for messages {undelivered[:10]}")
        return list(self._results)


def produce(bootstrap, topic, messages, **conf):
    """Produce (key, value) or (key, value, headers) tuples; returns Delivered list."""
    producer = Producer(bootstrap, **conf)
    for message in messages:
        key, value, headers = (tuple(message) + (None,))[:3]
        producer.send(topic, value, key=key, headers=headers)
    return producer.flush()


# ---------------------------------------------------------------- reader --

Msg = namedtuple("Msg", "topic key value headers partition offset timestamp")


def header(msg, name):
    """The value (bytes) of the last header called `name`, or None."""
    found = None
    for key, value in msg.headers:
        if key == name:
            found = value
    return found


class Reader:
    """Reads topics from their beginning, without a consumer group's offsets.

    read_committed by default, as every consumer of a transactional router's
    output must. `messages` holds everything read so far, in arrival order.
    `watch` is a Router (or anything with check_alive()) checked while waiting,
    so a router that dies fails the wait at once with its logs. `conf` adds or
    overrides consumer properties (e.g. a short reconnect.backoff.max.ms to see
    a restarted broker's data at once)."""

    def __init__(self, bootstrap, topics, isolation="read_committed", watch=None, conf=None):
        self.topics = list(topics)
        self.watch = watch
        self.messages = []
        settings = {
            "bootstrap.servers": bootstrap,
            "group.id": f"lr-it-reader-{random_suffix()}",
            "enable.auto.commit": False,
            "isolation.level": isolation,
            "socket.nagle.disable": True,
            "fetch.wait.max.ms": 100,
        }
        settings.update(conf or {})
        self._consumer = Consumer(settings)
        md = self._consumer.list_topics(timeout=30).topics
        assignment = []
        for topic in self.topics:
            if topic not in md or md[topic].error is not None:
                raise BrokerError(f"Reader: no topic {topic}")
            assignment += [TopicPartition(topic, p, OFFSET_BEGINNING) for p in md[topic].partitions]
        self._consumer.assign(assignment)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def poll(self, timeout=0.2):
        """Read what is available within `timeout` seconds; returns the new messages."""
        new = []
        for m in self._consumer.consume(num_messages=1000, timeout=timeout):
            if m.error() is not None:
                if m.error().fatal():
                    raise KafkaException(m.error())
                continue
            new.append(Msg(m.topic(), m.key(), m.value(), m.headers() or [], m.partition(),
                           m.offset(), m.timestamp()[1]))
        self.messages.extend(new)
        return new

    def wait(self, predicate, timeout=60, settle=0.0, what="messages"):
        """Read until predicate(self.messages) is true, then `settle` seconds more
        (to catch duplicates that arrive late); returns self.messages."""
        deadline = time.monotonic() + timeout
        while not predicate(self.messages):
            if self.watch is not None:
                self.watch.check_alive()
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; "
                                     f"read {len(self.messages)} messages: "
                                     f"{self.summary()}")
            self.poll(0.2)
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            self.poll(0.2)
        return self.messages

    def wait_count(self, n, timeout=60, settle=0.0, topic=None):
        """Read until at least n messages (on `topic`, or on all topics)."""
        def enough(msgs):
            return sum(1 for m in msgs if topic is None or m.topic == topic) >= n
        return self.wait(enough, timeout, settle, what=f"{n} messages on {topic or self.topics}")

    def on(self, topic):
        return [m for m in self.messages if m.topic == topic]

    def records(self, topic, kind):
        """[(Msg, decoded record)] read so far on `topic`, decoded as `kind`."""
        return [(m, decode(kind, m.value)) for m in self.on(topic)]

    def summary(self):
        counts = {}
        for m in self.messages:
            counts[m.topic] = counts.get(m.topic, 0) + 1
        return ", ".join(f"{t}: {n}" for t, n in sorted(counts.items())) or "none"


def consume(bootstrap, topics, n, timeout=60, settle=0.0, isolation="read_committed"):
    """Read `topics` from the beginning until n messages (plus `settle` seconds)."""
    with Reader(bootstrap, topics, isolation) as reader:
        return list(reader.wait_count(n, timeout, settle))


# ---------------------------------------------------------------- config --

DELETE = object()  # in make_config overrides: remove this key


def _merge(base, overrides):
    for key, value in overrides.items():
        if value is DELETE:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


class _ConfigDumper(yaml.SafeDumper):
    """Writes strings with a ':' double-quoted ("09:00", "127.0.0.1:9092") as the
    example config does, so no YAML reader can take a time for a number."""


def _represent_str(dumper, value):
    style = '"' if ":" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ConfigDumper.add_representer(str, _represent_str)


def load_example_config():
    """docs/lead-router.example.yaml as Python data."""
    with open(EXAMPLE_CONFIG, encoding="utf-8") as f:
        return yaml.safe_load(f)



def short_sla_config(cfg, policy, first_touch_s):
    """make_config edit for the exactly-once tests (crash, broker restart):
    reps always available, one short policy for every assignment (warning,
    breach, manager), exactly once with 100 ms windows, and a fast group
    rejoin (a dead member's session must expire first)."""
    reps_always_available(cfg)
    kafka = cfg["kafka"]
    kafka["processing"] = "exactly_once"
    kafka["commit_interval"] = "100ms"
    kafka["properties"]["session.timeout.ms"] = "6000"
    kafka["properties"]["heartbeat.interval.ms"] = "1000"
    cfg["sla"] = {"policies": [{
        "name": policy,
        "first_touch": f"{first_touch_s}s",
        "warn_at": "60%",
        "escalation": [{"action": "notify_manager"}],
    }]}


def answered(lead_id):
    """Two thirds of the assignments get a first touch; the choice depends on
    the id only, so it is the same whoever sees the decision first."""
    return sum(lead_id.encode()) % 3 != 0

def make_config(tmpdir, bootstrap, topics, overrides=None, *, group_id=None,
                transactional_id=None, edit=None, name="lead-router.yaml", base=None):
    """Write a lead-router config derived from the example config; returns its path.

    topics: {config key: topic name} (Broker.router_topics). overrides: nested
    dict merged into the config (dicts merge, anything else replaces, DELETE
    removes a key). edit: a function that changes the config data in place.
    The group id and transactional id are unique per call unless given, and
    kafka.properties gets auto.offset.reset=earliest (DELETE it to test the
    router's own default)."""
    cfg = copy.deepcopy(base) if base is not None else load_example_config()
    kafka = cfg["kafka"]
    props = kafka.setdefault("properties", {})
    props["bootstrap.servers"] = bootstrap
    # Tests produce right after the router joins its group: with "latest" a
    # message could land before the router's first position and be skipped.
    props["auto.offset.reset"] = "earliest"
    missing = set(TOPIC_KEYS) - set(topics)
    assert not missing, f"make_config: topics lacks {sorted(missing)}"
    kafka["topics"] = {key: topics[key] for key in TOPIC_KEYS}
    suffix = random_suffix()
    kafka["group_id"] = group_id or f"lead-router-it-{suffix}"
    kafka["transactional_id"] = transactional_id or f"lead-router-it-{suffix}"
    if overrides:
        _merge(cfg, overrides)
    if edit is not None:
        edit(cfg)
    path = Path(tmpdir) / name
    with open(path, "w", encoding="utf-8") as f:
        yaml.dump(cfg, f, Dumper=_ConfigDumper, sort_keys=False, default_flow_style=False,
                  allow_unicode=True)
    return path


def config_group(path):
    """(group_id, transactional_id) of a config file."""
    with open(path, encoding="utf-8") as f:
        kafka = yaml.safe_load(f)["kafka"]
    return kafka["group_id"], kafka.get("transactional_id")


def run_check(binary, config):
    """`lead-router check -c CONFIG`: asserts it accepts the file; returns its output."""
    proc = subprocess.run([str(binary), "check", "-c", str(config)], capture_output=True,
                          text=True, timeout=30, cwd=str(REPO))
    assert proc.returncode == 0, f"check refused {config}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def reps_always_available(cfg):
    """make_config edit: every rep works around the clock, never out of office,
    without caps; routing then no longer depends on when the test runs."""
    for rep in cfg.get("reps", []):
        for key in ("working_hours", "out_of_office", "max_open", "max_per_day"):
            rep.pop(key, None)


# ---------------------------------------------------------------- router --

class Router:
    """`lead-router run -c CONFIG` as a subprocess, logs in WORKDIR/<name>.stdout/.stderr.

    As a context manager it starts the router and, on leaving, stops it with
    SIGTERM and asserts exit code 0 (printing its logs when anything failed)."""

    def __init__(self, binary, config, workdir, name="router", args=(), env=None):
        self.binary = Path(binary)
        self.config = Path(config)
        self.workdir = Path(workdir)
        self.name = name
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.stdout_path = self.workdir / f"{name}.stdout"
        self.stderr_path = self.workdir / f"{name}.stderr"
        self._files = []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
            return False
        # The body failed: show why the router might be involved, but let the
        # original error be the one reported.
        try:
            if self.running():
                self.stop(expect_code=None)
        finally:
            self.print_logs()
        return False

    def start(self):
        if not (self.binary.is_file() and os.access(self.binary, os.X_OK)):
            raise AssertionError(f"router binary {self.binary} is not an executable file "
                                 f"(pass --binary PATH to the built lead-router)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        self._files = [out, err]
        cmd = [str(self.binary), "run", "-c", str(self.config), *self.args]
        log(f"harness: starting {' '.join(cmd)}")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                     cwd=str(REPO), env=self.env)
        time.sleep(0.3)
        self.check_alive()
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        """AssertionError (with the logs) when the router has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            self.print_logs()
            raise AssertionError(f"{self.name} exited unexpectedly with code "
                                 f"{self.proc.returncode}")

    def stop(self, timeout=30, expect_code=0):
        """SIGTERM, wait, and assert the exit code (None: accept any). Returns it."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._close()
                self.print_logs()
                raise AssertionError(f"{self.name} did not exit within {timeout} s of SIGTERM")
        self._close()
        code = self.proc.returncode
        if expect_code is not None and code != expect_code:
            self.print_logs()
            raise AssertionError(f"{self.name} exited with code {code} after SIGTERM, "
                                 f"expected {expect_code}")
        return code

    def kill(self):
        """SIGKILL: a crash, for recovery tests. Returns the exit code."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()
        return self.proc.returncode if self.proc else None

    def _close(self):
        for f in self._files:
            f.close()
        self._files = []

    def logs(self, limit=8000):
        parts = []
        for path in (self.stdout_path, self.stderr_path):
            try:
                text = path.read_bytes().decode("utf-8", "replace")
            except FileNotFoundError:
                text = ""
            if len(text) > limit:
                text = "[...]\n" + text[-limit:]
            parts.append(f"---- {path.name} ----\n{text}")
        return "\n".join(parts)

    def print_logs(self):
        log(self.logs())


def prime_router(broker, router, topics, group_id, timeout=90):
    """Wait until a started router consumes every input partition.

    Waits for its consumer group to own all partitions of the input topics, then
    sends one plain lead (score 0: NURTURE) to every leads partition and waits
    for their decisions: the router is then up, consuming and committing, and a
    test's timeouts measure its own work rather than the router's start. Returns
    the ids of those leads: they are real leads, and tests that count decisions
    must count them."""
    broker.wait_group_stable(group_id, [topics[k] for k in INPUT_TOPIC_KEYS], timeout)
    run = random_suffix(6)
    producer = Producer(broker.bootstrap)
    ids = []
    for p in broker.partitions(topics["leads"]):
        lead_id = f"warmup-{run}-p{p}"
        ids.append(lead_id)
        producer.send(topics["leads"], encode("lead", make_lead(
            lead_id, email=f"reader{p}@example.org", source="web", consent=True)),
            key=lead_id, partition=p)
    producer.flush()
    with Reader(broker.bootstrap, [topics["assignments"], topics["nurture"]],
                watch=router) as reader:
        def decided(msgs):
            keys = {m.key for m in msgs}
            return all(i.encode() in keys for i in ids)
        reader.wait(decided, timeout, what=f"decisions for the warm-up leads {ids}")
    return ids


# ----------------------------------------------------- exactly-once checks --

# A router's output topics (config keys) and the schema of each.
OUTPUT_KEYS = ("assignments", "nurture", "status", "alerts")
KIND_OF_KEY = {"assignments": "decision", "nurture": "decision", "status": "status",
               "alerts": "alert"}


def read_router_output(bootstrap, topics, n_decisions, timeout=120, quiet_s=3):
    """Everything a router committed, read from the beginning with read_committed.

    Waits for at least n_decisions decisions (assignments + nurture), then until
    nothing more arrives for quiet_s seconds. Returns ({output key: [decoded
    records]} for OUTPUT_KEYS, [Msg] of the dead-letter topic)."""
    out_topics = [topics[k] for k in OUTPUT_KEYS] + [topics["dead_letter"]]
    with Reader(bootstrap, out_topics) as reader:
        decision_topics = {topics["assignments"], topics["nurture"]}
        reader.wait(lambda msgs: sum(m.topic in decision_topics for m in msgs) >= n_decisions,
                    timeout=timeout, what="every decision")
        quiet = 0
        while quiet < quiet_s:  # then until nothing more arrives for quiet_s seconds
            quiet = quiet + 1 if not reader.poll(1.0) else 0
        events = {k: [decode(KIND_OF_KEY[k], m.value) for m in reader.on(topics[k])]
                  for k in OUTPUT_KEYS}
        dlq = reader.on(topics["dead_letter"])
    return events, dlq


class Crm:
    """A CRM touching the assignments it is told about, right away: for two
    thirds of them (answered(lead_id)) it sends a CONTACTED activity naming
    the assignment. `assignments`: lead id -> first assignment seen;
    `answers`: lead id -> the SalesActivity record sent."""

    def __init__(self, producer, topic):
        self.producer = producer
        self.topic = topic
        self.assignments = {}
        self.answers = {}

    def take(self, decision):
        """One decoded LeadDecision."""
        d = decision
        if d["rep"] is None or d["lead_id"] in self.assignments:
            return
        self.assignments[d["lead_id"]] = d
        if answered(d["lead_id"]):
            a = make_sales_activity(d["lead_id"], "CONTACTED", d["rep"],
                                    assignment_id=d["event_id"])
            self.producer.send_record(self.topic, "sales_activity", a)
            self.answers[d["lead_id"]] = a

    def read(self, msgs):
        """Messages of the assignments topic."""
        for m in msgs:
            self.take(decode("decision", m.value))


def wait_settled(ctx, topics, expected, crm, live, alive, settle, timeout=60, label="it"):
    """After the input: wait until every lead of `expected` is decided and every
    assignment nobody touched has breached, answering what `live` (a Reader of
    the assignments topic) still brings. alive() raises when a router died.
    A timeout is logged, not raised: check_exactly_once then says exactly what
    is missing. Returns the set of lead ids decided."""
    decided, breached, seen = set(), set(), [0]
    with ctx.reader([topics[k] for k in ("assignments", "nurture", "alerts")]) as out:
        def settled(msgs):
            crm.read(live.poll(0))
            crm.producer.flush()
            alive()
            for m in msgs[seen[0]:]:
                if m.topic != topics["alerts"]:
                    decided.add(m.key.decode())
                elif decode("alert", m.value)["kind"] == "BREACH":
                    breached.add(m.key.decode())
            seen[0] = len(msgs)
            return expected <= decided and all(
                i in breached for i in crm.assignments if not answered(i))
        try:
            out.wait(settled, timeout=timeout, settle=settle,
                     what="every lead decided and every untouched assignment breached")
        except AssertionError as exc:
            alive()
            log(f"{label}: {exc}")
    return decided


def check_exactly_once(events, dlq, expected, answered, answers):
    """The exactly-once assertions over a router's committed output, for a run
    where every lead and activity was valid, no reassignment is configured and
    a CRM touched the assignments for which answered(lead_id) is true:

      - the dead-letter topic is empty;
      - no event_id appears twice on any topic;
      - every lead of `expected` has exactly one NEW decision, no other lead was
        decided, and nothing was decided again;
      - no lead is assigned twice, and every assignment has an SLA clock;
      - at most one WARNING, BREACH and ESCALATION per assignment, every alert
        belongs to an assignment that was made, and every assignment nobody
        touched has exactly one BREACH;
      - every touch sent (answers: lead id -> the SalesActivity record) is
        counted once, against the assignment it names.

    events and dlq as read_router_output returns them. Returns a summary dict
    (decided, assigned, touched, untouched, breaches)."""
    assert not dlq, f"{len(dlq)} dead letters, e.g. {[dict(m.headers) for m in dlq[:3]]}"

    for k, evs in events.items():
        dup = [e for e, n in Counter(e["event_id"] for e in evs).items() if n > 1]
        assert not dup, f"{k}: {len(dup)} event ids published twice, e.g. {dup[:5]}"

    decisions = events["assignments"] + events["nurture"]
    new = Counter(d["lead_id"] for d in decisions if d["cause"] == "NEW")
    missing = expected - set(new)
    assert not missing, f"{len(missing)} leads never decided, e.g. {sorted(missing)[:5]}"
    extra = set(new) - expected
    assert not extra, f"decisions for leads never sent: {sorted(extra)[:5]}"
    twice = [i for i, n in new.items() if n > 1]
    assert not twice, f"{len(twice)} leads decided more than once, e.g. {twice[:5]}"
    other = [d for d in decisions if d["cause"] != "NEW"]
    assert not other, f"unexpected re-decisions: {other[:3]}"

    assigned = [d for d in events["assignments"] if d["rep"] is not None]
    per_lead = Counter(d["lead_id"] for d in assigned)
    twice = [i for i, n in per_lead.items() if n > 1]
    assert not twice, f"{len(twice)} leads assigned twice, e.g. {twice[:5]}"
    assert all(d["sla_due_at"] is not None for d in assigned), "an assignment without a clock"

    alerts = defaultdict(Counter)   # (lead, assigned_at) -> kind counts
    for a in events["alerts"]:
        alerts[(a["lead_id"], a["assigned_at"])][a["kind"]] += 1
    by_lead = {d["lead_id"]: d for d in assigned}
    for (lead_id, assigned_at), kinds in alerts.items():
        d = by_lead.get(lead_id)
        assert d is not None and d["decided_at"] == assigned_at, \
            f"alert for an assignment never made: {lead_id} at {assigned_at}"
        assert kinds["WARNING"] <= 1 and kinds["BREACH"] <= 1 and kinds["ESCALATION"] <= 1, \
            f"{lead_id}: alerts repeated: {dict(kinds)}"
    untouched = [i for i in by_lead if not answered(i)]
    not_breached = [i for i in untouched if alerts[(i, by_lead[i]["decided_at"])]["BREACH"] != 1]
    assert not not_breached, (f"{len(not_breached)} of {len(untouched)} untouched assignments "
                              f"without exactly one BREACH, e.g. {not_breached[:5]}")

    contacted = defaultdict(list)
    for s in events["status"]:
        if s["status"] == "CONTACTED":
            contacted[s["lead_id"]].append(s)
    touched = [i for i in by_lead if i in answers]
    wrong = [i for i in touched
             if len(contacted[i]) != 1 or contacted[i][0]["reason"] is not None]
    assert not wrong, (f"{len(wrong)} of {len(touched)} touches not counted exactly once, e.g. "
                       + "; ".join(f"{i}: {[s['reason'] for s in contacted[i]]}"
                                   for i in wrong[:5]))
    return {"decided": len(new), "assigned": len(assigned), "touched": len(touched),
            "untouched": len(untouched), "breaches": sum(k["BREACH"] for k in alerts.values())}


# ---------------------------------------------------------------- runner --

class Ctx:
    """What a test function gets: the broker, the router binary, a fresh tmpdir."""

    def __init__(self, broker, binary, tmpdir, run_id):
        self.broker = broker
        self.binary = binary
        self.tmpdir = Path(tmpdir)
        self.run_id = run_id

    @property
    def bootstrap(self):
        return self.broker.bootstrap

    def unique(self, name):
        return f"{name}-{self.run_id}"

    def router_topics(self, partitions=3, overrides=None):
        return self.broker.router_topics(f"{self.run_id}-{random_suffix(4)}", partitions,
                                         overrides)

    def config(self, topics, overrides=None, **kwargs):
        return make_config(self.tmpdir, self.bootstrap, topics, overrides, **kwargs)

    def router(self, config, name="router", **kwargs):
        if self.binary is None:
            raise AssertionError("this test needs the router: pass --binary PATH")
        return Router(self.binary, config, self.tmpdir, name=name, **kwargs)

    def producer(self, **conf):
        return Producer(self.bootstrap, **conf)

    def reader(self, topics, **kwargs):
        return Reader(self.bootstrap, topics, **kwargs)


def main(needs_binary=True, own_broker_env=None):
    """Run the calling module's test_* functions; exits with the result.

    own_broker_env: start a broker of the test's own, with these variables for
    broker.sh (e.g. LR_KAFKA_SASL_SSL=1), even when LR_KAFKA_BOOTSTRAP names one."""
    caller = inspect.stack()[1].frame.f_globals
    parser = argparse.ArgumentParser(description=(caller.get("__doc__") or "").strip()
                                     or None)
    parser.add_argument("--binary", help="path of the built lead-router")
    parser.add_argument("-k", dest="select", help="run only tests whose name contains this")
    args = parser.parse_args()
    tests = [(name, fn) for name, fn in caller.items()
             if name.startswith("test_") and callable(fn)
             and getattr(fn, "__module__", None) == caller.get("__name__")]
    if args.select:
        tests = [(n, f) for n, f in tests if args.select in n]
    if not tests:
        print("harness: no test selected", file=sys.stderr)
        print("0 passed, 1 failed")
        sys.exit(1)

    binary = None
    if args.binary:
        binary = Path(args.binary).resolve()
    fatal = None
    if needs_binary and binary is None:
        fatal = "--binary PATH (the built lead-router) is required"
    elif binary is not None and not (binary.is_file() and os.access(binary, os.X_OK)):
        fatal = f"--binary {binary} is not an executable file"

    passed = failed = 0
    run_id = f"{time.strftime('%H%M%S')}-{random_suffix(5)}"
    root = Path(tempfile.mkdtemp(prefix="lr-it-"))
    broker = Broker(own=own_broker_env is not None, env=own_broker_env)
    try:
        if fatal is None:
            try:
                broker.start()
            except BrokerError as exc:
                fatal = f"the Kafka broker could not start: {exc}"
        if fatal is not None:
            log(f"FAIL (all {len(tests)} tests): {fatal}")
            failed = len(tests)
        else:
            for name, fn in tests:
                tmpdir = root / name
                tmpdir.mkdir()
                t0 = time.monotonic()
                try:
                    fn(Ctx(broker, binary, tmpdir, run_id))
                except Exception as exc:  # a failed test, whatever raised
                    failed += 1
                    traceback.print_exc(file=sys.stdout)
                    log(f"FAIL {name} ({time.monotonic() - t0:.1f} s): "
                        f"{type(exc).__name__}: {exc}")
                else:
                    passed += 1
                    log(f"PASS {name} ({time.monotonic() - t0:.1f} s)")
    finally:
        try:
            broker.stop()
        except BrokerError as exc:
            log(f"harness: stopping the broker failed: {exc}")
        if os.environ.get("LR_IT_KEEP") == "1":
            log(f"harness: kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 else 1)
