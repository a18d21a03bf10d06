#!/usr/bin/env python3
"""Hostile clients for the hostile-client test. One mode per run:

  slowloris HOST PORT N SECONDS   N HTTP connections that send a request's
                                  headers one byte a second; prints how many
                                  the server closed, when, and how many got 408
  idle HOST PORT N SECONDS TYPE   N ZeroMQ connections that finish the ZMTP 3.0
                                  NULL handshake as socket TYPE (DEALER, SUB)
                                  and then say nothing; prints how many are
                                  still open after SECONDS
  silent HOST PORT N SECONDS      N TCP connections that never send a byte;
                                  prints how many the server closed
  oversize HOST PORT TYPE         a handshake, then a frame that claims 2^40
                                  bytes; prints "closed" when the server hangs up
  garbage HOST PORT ROUNDS SEED   ROUNDS connections, each sending random bytes
                                  (some starting like a ZMTP greeting or HTTP)
"""
import random
import resource
import select
import socket
import struct
import sys
import time


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n + 64))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want - 64


def greeting():
    mech = b"NULL" + b"\0" * 16
    return b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + mech + b"\x00" + b"\0" * 31


def ready(sock_type):
    name = b"Socket-Type"
    body = b"\x05READY" + bytes([len(name)]) + name + struct.pack(">I", len(sock_type)) + sock_type
    return b"\x04" + bytes([len(body)]) + body


def connect(host, port, timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setblocking(False)
    return s


def closed_by_peer(s):
    """True when the peer closed (or reset) the connection; drains data."""
    try:
        while True:
            r, _, _ = select.select([s], [], [], 0)
            if not r:
                return False
            d = s.recv(65536)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError, OSError):
        return True


def slowloris(host, port, n, seconds):
    n = min(n, raise_fd_limit(n))
    conns = []
    for _ in range(n):
        s = connect(host, port)
        s.send(b"GET /v1/articles HTTP/1.1\r\nHost: x\r\n")
        conns.append({"s": s, "closed": None, "got408": False})
    start = time.time()
    header = b"X-Slow: " + b"a" * 4000
    i = 0
    while time.time() - start < seconds:
        for c in conns:
            if c["closed"] is not None:
                continue
            try:
                r, _, _ = select.select([c["s"]], [], [], 0)
                if r:
                    d = c["s"].recv(65536)
                    if d.startswith(b"HTTP/1.1 408"):
                        c["got408"] = True
                    if not d:
                        c["closed"] = time.time() - start
                        continue
                c["s"].send(header[i % len(header):i % len(header) + 1])
            except OSError:
                c["closed"] = time.time() - start
        i += 1
        time.sleep(1)
    closed = [c["closed"] for c in conns if c["closed"] is not None]
    print("slowloris connections %d closed %d got408 %d first %.1f last %.1f" % (
        n, len(closed), sum(c["got408"] for c in conns),
        min(closed) if closed else -1, max(closed) if closed else -1))


def idle(host, port, n, seconds, sock_type):
    n = min(n, raise_fd_limit(n))
    conns = []
    for _ in range(n):
        s = connect(host, port)
        s.send(greeting() + ready(sock_type.encode()))
        conns.append(s)
    print("idle opened %d" % n, flush=True)
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(1)
    open_ = sum(not closed_by_peer(s) for s in conns)
    print("idle connections %d open %d" % (n, open_))


def silent(host, port, n, seconds):
    n = min(n, raise_fd_limit(n))
    conns = [connect(host, port) for _ in range(n)]
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(1)
    print("silent connections %d closed %d" % (n, sum(closed_by_peer(s) for s in conns)))


def oversize(host, port, sock_type):
    s = connect(host, port)
    s.send(greeting() + ready(sock_type.encode()))
    # a delimiter frame (ROUTER peers) then a long frame of 2^40 bytes, 64 KB sent
    s.setblocking(True)
    s.settimeout(10)
    try:
        s.sendall(b"\x01\x00" + b"\x02" + struct.pack(">Q", 1 << 40) + b"z" * 65536)
        while True:
            d = s.recv(65536)
            if not d:
                break
        print("closed")
    except (ConnectionResetError, BrokenPipeError):
        print("closed")
    except socket.timeout:
        print("still open")


def garbage(host, port, rounds, seed):
    rng = random.Random(seed)
    prefixes = [b"", greeting()[:10], greeting(), greeting() + ready(b"DEALER"),
                b"GET / HTTP/1.1\r\n", b"POST /v1/articles HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"]
    done = 0
    for _ in range(rounds):
        try:
            s = socket.create_connection((host, port), timeout=2)
            s.sendall(rng.choice(prefixes) + bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 2048))))
            s.settimeout(0.05)
            try:
                s.recv(4096)
            except (socket.timeout, OSError):
                pass
            s.close()
            done += 1
        except OSError:
            pass
    print("garbage rounds %d sent %d" % (rounds, done))


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    a = sys.argv[4:]
    if mode == "slowloris":
        slowloris(host, port, int(a[0]), float(a[1]))
    elif mode == "idle":
        idle(host, port, int(a[0]), float(a[1]), a[2])
    elif mode == "silent":
        silent(host, port, int(a[0]), float(a[1]))
    elif mode == "oversize":
        oversize(host, port, a[0])
    elif mode == "garbage":
        garbage(host, port, int(a[0]), int(a[1]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
