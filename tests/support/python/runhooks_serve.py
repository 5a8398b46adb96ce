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


def make_certificates(directory):
    """A CA and a server certificate for 127.0.0.1 signed by it (RSA-2048,
    made with the openssl command line). Returns the paths of the CA
    certificate, the server's certificate and its key."""
    def path(name):
        return os.path.join(directory, name)

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=runhooks test CA",
            "-keyout", path("ca.key"), "-out", path("ca.pem"))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", path("server.key"), "-out", path("server.csr"))
    with open(path("server.ext"), "w") as ext:
        ext.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", path("server.ext"), "-out", path("server.pem"))
    return path("ca.pem"), path("server.pem"), path("server.key")


class Serve:
    """`runhooks serve` (with its worker, loopback allowed) on a fresh SQLite
    store in a temporary directory; `base` is its http://127.0.0.1:PORT, or
    https:// when `extra` holds --tls-cert and --tls-key."""

    def __init__(self, cli, *extra):
        self.cli = cli
        self.dir = tempfile.TemporaryDirectory()
        self.store = "sqlite:" + os.path.join(self.dir.name, "runhooks.db")
        self.process = subprocess.Popen(
            [cli, "--store", self.store, "serve", "--listen", "127.0.0.1:0", "--allow-network", "127.0.0.0/8",
             *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        scheme = "https" if "--tls-cert" in extra else "http"
        assert line.startswith("listening on %s://" % scheme), line
        self.port = int(line.strip().rsplit(":", 1)[1])
        self.base = "%s://127.0.0.1:%d" % (scheme, self.port)

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
