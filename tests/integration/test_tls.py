#!/usr/bin/env python3
"""lead-router over SASL_SSL (SCRAM-SHA-512 over TLS), as production runs it.

The test starts a broker of its own with LR_KAFKA_SASL_SSL=1: broker.sh makes a
CA and a broker certificate with openssl and a SCRAM user, and adds a SASL_SSL
listener beside the plaintext one. The router is given only the SASL_SSL
listener, through kafka.properties (security.protocol, sasl.mechanism,
sasl.username, sasl.password, ssl.ca.location), so everything it reads and
writes goes over TLS after a SCRAM login; the test's own clients use the
plaintext listener.

- With the right settings every lead is decided exactly once.
- A wrong password, or a CA that did not sign the broker's certificate, stops
  the router with a one-line reason and a non-zero exit within 60 s
  (librdkafka alone would retry forever).
- The password never appears in the router's output, whatever happens.

Usage: test_tls.py --binary PATH/lead-router
"""
import subprocess
import time

import harness as h

FAIL_WITHIN_S = 60


def secure_config(ctx, topics, password=None, ca=None):
    v = ctx.broker.values
    for key in ("KAFKA_SASL_SSL_BOOTSTRAP", "KAFKA_SSL_CA_LOCATION", "KAFKA_SASL_USERNAME",
                "KAFKA_SASL_PASSWORD"):
        assert key in v, f"broker.sh printed no {key}: LR_KAFKA_SASL_SSL=1 was ignored"
    props = {"bootstrap.servers": v["KAFKA_SASL_SSL_BOOTSTRAP"],
             "security.protocol": "SASL_SSL",
             "sasl.mechanism": "SCRAM-SHA-512",
             "sasl.username": v["KAFKA_SASL_USERNAME"],
             "sasl.password": password or v["KAFKA_SASL_PASSWORD"],
             "ssl.ca.location": ca or v["KAFKA_SSL_CA_LOCATION"]}
    return ctx.config(topics, overrides={"kafka": {"properties": props}})


def assert_no_secret(router, *secrets):
    text = router.logs(limit=10**7)
    for s in secrets:
        assert s not in text, "the router printed the SASL password"


def test_routes_over_sasl_ssl(ctx):
    topics = ctx.router_topics(partitions=3)
    config = secure_config(ctx, topics)
    group, _ = h.config_group(config)
    mix = h.lead_mix({"enterprise_eu": 20, "na": 20, "demo": 10, "student": 10,
                      "no_consent": 5}, ctx.unique("tls"))
    with ctx.router(config) as router:
        warmup = h.prime_router(ctx.broker, router, topics, group)
        producer = ctx.producer()
        for _, lead in mix:
            producer.send(topics["leads"], h.encode("lead", lead), key=lead["lead_id"])
        producer.flush()
        events, dlq = h.read_router_output(ctx.bootstrap, topics, len(mix) + len(warmup))
    decisions = events["assignments"] + events["nurture"]
    ids = [d["lead_id"] for d in decisions]
    expected = {lead["lead_id"] for _, lead in mix} | set(warmup)
    assert set(ids) == expected, f"decided {len(set(ids))} of {len(expected)} leads"
    assert len(ids) == len(set(ids)), "a lead was decided twice"
    assert events["assignments"], "no lead was assigned"
    assert not dlq, f"{len(dlq)} dead letters"
    assert_no_secret(router, ctx.broker.values["KAFKA_SASL_PASSWORD"])


def run_until_exit(ctx, config, name):
    """Starts the router and waits for it to stop by itself; returns
    (exit code, its stderr's last line, the Router)."""
    router = ctx.router(config, name=name)  # for its paths and logs; run here, not start():
    t0 = time.monotonic()                     # start() asserts it is still alive after 0.3 s
    cmd = [str(router.binary), "run", "-c", str(router.config)]
    with open(router.stdout_path, "wb") as out, open(router.stderr_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                cwd=str(h.REPO))
        try:
            code = proc.wait(FAIL_WITHIN_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"{name}: still running after {FAIL_WITHIN_S} s:\n"
                                 + router.logs()) from None
    h.log(f"{name}: exit code {code} after {time.monotonic() - t0:.1f} s")
    lines = router.stderr_path.read_text(errors="replace").strip().splitlines()
    return code, (lines[-1] if lines else ""), router


def test_wrong_password_stops_with_one_line(ctx):
    topics = ctx.router_topics(partitions=1)
    wrong = "wrong-" + h.random_suffix(12)
    config = secure_config(ctx, topics, password=wrong)
    code, last, router = run_until_exit(ctx, config, "wrong-password")
    assert code != 0, "the router exited 0 with a wrong password"
    assert "fatal:" in last and "authentication" in last.lower() and "sasl.password" in last, \
        f"unclear last line: {last}"
    assert_no_secret(router, wrong, ctx.broker.values["KAFKA_SASL_PASSWORD"])


def test_wrong_ca_stops_with_one_line(ctx):
    topics = ctx.router_topics(partitions=1)
    other_ca = ctx.tmpdir / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(ctx.tmpdir / "other-ca.key"), "-out", str(other_ca),
                    "-subj", "/CN=not the broker's CA"], check=True, capture_output=True)
    config = secure_config(ctx, topics, ca=str(other_ca))
    code, last, router = run_until_exit(ctx, config, "wrong-ca")
    assert code != 0, "the router exited 0 with a CA that did not sign the broker's certificate"
    assert "fatal:" in last and "SSL handshake failed" in last and "ssl.ca.location" in last, \
        f"unclear last line: {last}"
    assert_no_secret(router, ctx.broker.values["KAFKA_SASL_PASSWORD"])


if __name__ == "__main__":
    h.main(own_broker_env={"LR_KAFKA_SASL_SSL": "1"})
