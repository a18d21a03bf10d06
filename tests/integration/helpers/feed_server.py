#!/usr/bin/env python3
"""A feed server for the poller tests. Serves files of DIR with an ETag
(304 to a matching If-None-Match), gzip when asked, and a few misbehaving
routes:
    /status500     500
    /limited       429 with Retry-After: 3600
    /garbage       200 with binary junk
    /slow.xml      answers after 40 s (logged when asked, status=slow)
    /old.xml       301 to /atom.xml
It binds every ADDR on a free port, writes "ADDR PORT" lines to PORT_FILE,
and logs one line per request to LOG:
    GET /path status=200 inm=<If-None-Match> ae=<Accept-Encoding> ua=<User-Agent>
    feed_server.py PORT_FILE LOG DIR ADDR..."""
import gzip, hashlib, http.server, os, sys, threading, time

port_file, log_path, root, addrs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self, status):
        with lock, open(log_path, "a") as log:
            log.write(f"GET {self.path} status={status} "
                      f"inm={self.headers.get('If-None-Match', '-')} "
                      f"ae={self.headers.get('Accept-Encoding', '-')} "
                      f"ua={self.headers.get('User-Agent', '-')}\n")

    def answer(self, status, body=b"", headers=()):
        self.note(status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/status500":
            return self.answer(500, b"broken\n")
        if path == "/limited":
            return self.answer(429, b"slow down\n", [("Retry-After", "3600")])
        if path == "/garbage":
            return self.answer(200, bytes(range(256)) * 8,
                               [("Content-Type", "application/rss+xml")])
        if path == "/slow.xml":
            self.note("slow")
            time.sleep(40)
            return self.answer(200, b"<rss/>")
        if path == "/old.xml":
            return self.answer(301, b"", [("Location", "/atom.xml")])
        file = os.path.join(root, path.lstrip("/"))
        if not os.path.isfile(file):
            return self.answer(404, b"no such feed\n")
        with open(file, "rb") as f:
            body = f.read()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self.answer(304, b"", [("ETag", etag)])
        ctype = "application/atom+xml" if file.endswith(".atom.xml") or "atom" in path \
            else "application/rss+xml; charset=utf-8"
        headers = [("ETag", etag), ("Content-Type", ctype)]
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        self.answer(200, body, headers)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


servers = [Server((a, 0), Handler) for a in addrs]
with open(port_file + ".tmp", "w") as f:
    for a, s in zip(addrs, servers):
        f.write(f"{a} {s.server_address[1]}\n")
os.rename(port_file + ".tmp", port_file)
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
servers[0].serve_forever()
