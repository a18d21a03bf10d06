#!/usr/bin/env python3
"""A webhook receiver for the tests: checks the Standard Webhooks signature
of every POST and appends one line per delivery to a log:
    ok <webhook-id> <rule> <seq>       a delivery whose signature verifies
    bad <webhook-id> <why>             one that does not
It answers 204 for good deliveries, 400 for bad ones, or always STATUS
when --status is given (to simulate a failing receiver).
    webhook_receiver.py PORT_FILE LOG SECRET [--status CODE]
It binds 127.0.0.1 on a free port (or on PORT with --port PORT) and writes
the port to PORT_FILE."""
import base64, hashlib, hmac, http.server, json, sys

port_file, log_path, secret = sys.argv[1], sys.argv[2], sys.argv[3]
opts = dict(zip(sys.argv[4::2], sys.argv[5::2]))
forced = int(opts["--status"]) if "--status" in opts else None
port = int(opts.get("--port", "0"))
key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        wid = self.headers.get("webhook-id", "")
        ts = self.headers.get("webhook-timestamp", "")
        sig = self.headers.get("webhook-signature", "")
        mac = hmac.new(key, f"{wid}.{ts}.".encode() + body, hashlib.sha256).digest()
        want = "v1," + base64.b64encode(mac).decode()
        if forced is not None:
            status, line = forced, f"status {wid} {forced}"
        elif not hmac.compare_digest(sig, want):
            status, line = 400, f"bad {wid} signature"
        else:
            data = json.loads(body)["data"]
            status, line = 204, f"ok {wid} {data['rule']} {data['seq']}"
        with open(log_path, "a") as f:
            f.write(line + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = http.server.HTTPServer(("127.0.0.1", port), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
