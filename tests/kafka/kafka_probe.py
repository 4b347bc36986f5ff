#!/usr/bin/env python3
"""Ask a Kafka broker for cluster metadata, with nothing but the standard library.

broker.sh uses this to decide that a freshly started broker is ready: the TCP
port accepting connections is not enough, since a KRaft broker accepts them
before it has registered with its controller. A Metadata response that lists
at least one broker and a controller means clients can work.

Usage: kafka_probe.py HOST:PORT [--timeout SECONDS]
Prints "brokers=N controller=ID cluster=ID" and exits 0 when ready, else
prints the reason on stderr and exits 1.
"""
import argparse
import socket
import struct
import sys

METADATA_API_KEY = 3
# Version 4 is the oldest Metadata version every broker from 2.x to 4.x
# answers (4.0 removed versions 0 to 3), and the newest one that still uses
# the plain, non-"flexible" encoding, which keeps this parser small.
METADATA_VERSION = 4


def build_request(correlation_id):
    client_id = b"lead-router-probe"
    header = struct.pack(">hhih", METADATA_API_KEY, METADATA_VERSION,
                         correlation_id, len(client_id)) + client_id
    # topics: an empty array asks for no topic at all (null would mean all);
    # allow_auto_topic_creation: false.
    body = struct.pack(">i?", 0, False)
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def recv_exact(sock, n):
    chunks = []
    while n > 0:
        chunk = sock.recv(n)
        if not chunk:
            raise ConnectionError("broker closed the connection")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError("truncated Metadata response")
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def string(self):
        length = self.take(">h")
        if length < 0:
            return None
        raw = self.data[self.pos:self.pos + length]
        self.pos += length
        return raw.decode("utf-8", "replace")


def probe(host, port, timeout):
    correlation_id = 7
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(build_request(correlation_id))
        (size,) = struct.unpack(">i", recv_exact(sock, 4))
        reader = Reader(recv_exact(sock, size))
    if reader.take(">i") != correlation_id:
        raise ValueError("response correlation id does not match the request")
    reader.take(">i")  # throttle_time_ms
    brokers = []
    for _ in range(reader.take(">i")):
        node_id = reader.take(">i")
        reader.string()  # host
        reader.take(">i")  # port
        reader.string()  # rack
        brokers.append(node_id)
    cluster_id = reader.string()
    controller_id = reader.take(">i")
    return brokers, controller_id, cluster_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address", help="HOST:PORT of the broker")
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    host, _, port = args.address.rpartition(":")
    try:
        brokers, controller_id, cluster_id = probe(host or "127.0.0.1", int(port), args.timeout)
    except (OSError, ValueError) as exc:
        print(f"not ready: {exc}", file=sys.stderr)
        return 1
    if not brokers or controller_id < 0:
        print(f"not ready: brokers={len(brokers)} controller={controller_id}", file=sys.stderr)
        return 1
    print(f"brokers={len(brokers)} controller={controller_id} cluster={cluster_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
