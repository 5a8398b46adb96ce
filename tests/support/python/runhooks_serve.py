"""What the end-to-end tests that speak HTTP to `runhooks serve` share: a
receiver on loopback, a serve process on a fresh store, and the CLI calls
that set it up (keys) or feed it (fire)."""

import http.server
import json
import os
import signal
import subprocess
import tempfile
import threading
import time


class Receiver:
    """An HTTP server on 127.0.0.1 (a port the kernel picks) that records
    each request and answers with what `answer(n, path)` returns for the
    n-th one (counting from 1): (status, headers, body, delay in seconds)."""

    def __init__(self, answer):
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body.decode()})
                    n = len(receiver.requests)
                status, headers, text, delay = answer(n, self.path)
                time.sleep(delay)
                data = text.encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.url = self.base + "/hook"

    def count(self):
        with self.lock:
            return len(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Serve:
    """`runhooks serve` (with its worker, loopback allowed) on a fresh SQLite
    store in a temporary directory; `base` is its http://127.0.0.1:PORT."""

    def __init__(self, cli):
        self.cli = cli
        self.dir = tempfile.TemporaryDirectory()
        self.store = "sqlite:" + os.path.join(self.dir.name, "runhooks.db")
        self.process = subprocess.Popen(
            [cli, "--store", self.store, "serve", "--listen", "127.0.0.1:0", "--allow-network", "127.0.0.0/8"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        assert line.startswith("listening on http://"), line
        self.base = "http://127.0.0.1:%s" % line.strip().rsplit(":", 1)[1]

    def key(self, *scope):
        """A new API key (`--all-projects`, or `--project P [--read-only]`)."""
        out = subprocess.run([self.cli, "--store", self.store, "keys", "create", *scope, "--json"],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)["key"]

    def fire(self, project, event="RUN_FINISH", run="1"):
        """Stores an event from another process, as a CI step would; serve's
        worker finds it by polling the store. Returns its delivery ids."""
        payload = json.dumps({"runUrl": "https://ci.example/run/" + run, "buildId": "b" + run})
        out = subprocess.run([self.cli, "--store", self.store, "fire", event, "--project", project,
                              "--payload", "-", "--json"],
                             input=payload, check=True, capture_output=True, text=True).stdout
        return json.loads(out)["deliveryIds"]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.dir.cleanup()
