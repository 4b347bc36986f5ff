#!/usr/bin/env python3
"""systemd's notify protocol, read on a unix datagram socket of the test's own
($NOTIFY_SOCKET, as systemd sets it for a Type=notify unit) while the router
runs on the real broker: STATUS=restoring, then READY=1 only once the state is
restored (its log line is already written), WATCHDOG=1 while it runs (with
$WATCHDOG_USEC set), RELOADING=1 ... READY=1 around each reload (a valid one
and a refused one), and STOPPING=1 on SIGTERM.

Usage: test_systemd_notify.py --binary PATH/lead-router
"""
import signal
import socket
import threading

import harness as h


class NotifySocket:
    """Collects the datagrams the router sends, each with the router's log as it
    stood when the datagram arrived."""

    def __init__(self, path, router_stderr):
        self.path, self.stderr = path, router_stderr
        self.messages = []  # (message, stderr text at arrival)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            try:
                log = self.stderr.read_bytes().decode("utf-8", "replace")
            except FileNotFoundError:
                log = ""
            self.messages.append((data.decode(), log))

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()

    def lines(self):
        return [m for m, _ in list(self.messages)]

    def wait(self, predicate, what, timeout=90):
        return h.wait_for(lambda: predicate(self.lines()), timeout, what=what)


def test_notify_sequence(ctx):
    topics = ctx.router_topics(partitions=3)
    config = ctx.config(topics)
    group, _ = h.config_group(config)
    path = ctx.tmpdir / "notify.sock"
    env = {"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "1000000"}
    router = ctx.router(config, env=env)
    notify = NotifySocket(path, router.stderr_path)
    try:
        with router:
            notify.wait(lambda ls: any("READY=1" in m for m in ls), "READY=1")
            h.prime_router(ctx.broker, router, topics, group)
            notify.wait(lambda ls: sum(m == "WATCHDOG=1" for m in ls) >= 3, "3 WATCHDOG=1")

            router.proc.send_signal(signal.SIGHUP)  # the same file: a valid reload
            notify.wait(lambda ls: sum("READY=1" in m for m in ls) >= 2, "READY=1 after reload")
            config.write_text(config.read_text() + "no_such_section: 1\n")
            router.proc.send_signal(signal.SIGHUP)  # refused: still READY again
            notify.wait(lambda ls: sum("READY=1" in m for m in ls) >= 3,
                        "READY=1 after the refused reload")
        notify.wait(lambda ls: any("STOPPING=1" in m for m in ls), "STOPPING=1", timeout=30)
    finally:
        notify.close()

    msgs = notify.lines()
    h.log("  notifications: " + " | ".join(m.replace("\n", " ") for m in msgs
                                           if m != "WATCHDOG=1")
          + f" (+{msgs.count('WATCHDOG=1')} WATCHDOG=1)")
    events = [m for m in msgs if m != "WATCHDOG=1"]
    assert events[0] == "STATUS=restoring", events
    assert events[1] == "READY=1\nSTATUS=routing", events
    assert events[2:6] == ["RELOADING=1\nSTATUS=reloading", "READY=1\nSTATUS=routing"] * 2, events
    assert events[6:] == ["STOPPING=1\nSTATUS=stopping"], events
    ready_log = next(log for m, log in notify.messages if "READY=1" in m)
    assert "state restored from" in ready_log, \
        f"READY=1 came before the state was restored; the log then:\n{ready_log}"
    # the watchdog is fed while it runs, and not before the loop or after it
    first_ready = msgs.index("READY=1\nSTATUS=routing")
    stopping = msgs.index("STOPPING=1\nSTATUS=stopping")
    assert msgs.count("WATCHDOG=1") >= 3
    assert all(m != "WATCHDOG=1" for m in msgs[stopping:]), msgs[stopping:]
    assert "WATCHDOG=1" in msgs[first_ready:stopping]
    refused = router.stderr_path.read_text()
    assert "reload refused" in refused and "no_such_section" in refused, refused[-2000:]


if __name__ == "__main__":
    h.main()
