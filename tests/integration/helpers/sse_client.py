#!/usr/bin/env python3
"""An EventSource-style client for the tests: reads Server-Sent Events from
URL, drops the connection after every EVERY events (and on any error),
reconnects with Last-Event-ID set to the last id it saw, the way a
browser's EventSource resumes, and stops after TOTAL article events.
Prints one line per article event: "<id> <seq in the data>", then
"reconnects N" and "comments N" on stderr.
    sse_client.py URL TOTAL EVERY [TIMEOUT_SECONDS]"""
import json, socket, sys, time, urllib.parse

url, total, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + (float(sys.argv[4]) if len(sys.argv) > 4 else 60)
u = urllib.parse.urlsplit(url)
target = u.path + ("?" + u.query if u.query else "")
last_id, got, reconnects, comments, retry_ms = None, 0, -1, 0, 0


def session():
    """One connection: returns when EVERY events were read or it dropped."""
    global last_id, got, comments, retry_ms
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    head = f"GET {target} HTTP/1.1\r\nHost: {u.netloc}\r\nAccept: text/event-stream\r\n"
    if last_id is not None:
        head += f"Last-Event-ID: {last_id}\r\n"
    s.sendall((head + "\r\n").encode())
    f = s.makefile("rb")
    status = f.readline().decode()
    if " 200 " not in status:
        raise SystemExit(f"stream answered {status.strip()}")
    while f.readline() not in (b"\r\n", b"\n", b""):
        pass
    event, data, this = {}, [], 0
    while this < every and got < total:
        line = f.readline()
        if not line:
            break
        line = line.decode().rstrip("\n")
        if line == "":
            if data and event.get("event", "message") == "message":
                seq = json.loads("\n".join(data))["seq"]
                print(event.get("id"), seq, flush=True)
                last_id = event.get("id")
                got += 1
                this += 1
            elif data and event.get("event") == "gap":
                print("gap", "\n".join(data), flush=True)
            event, data = {}, []
        elif line.startswith(":"):
            comments += 1
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        elif line.startswith("retry:"):
            retry_ms = int(line[6:])
        else:
            k, _, v = line.partition(":")
            event[k] = v.lstrip(" ")
    s.close()


while got < total and time.monotonic() < deadline:
    reconnects += 1
    try:
        session()
    except OSError as e:
        print(f"connection error: {e}", file=sys.stderr)
        time.sleep(0.2)
print(f"reconnects {reconnects}", file=sys.stderr)
print(f"comments {comments}", file=sys.stderr)
print(f"retry {retry_ms}", file=sys.stderr)
sys.exit(0 if got >= total else 1)
