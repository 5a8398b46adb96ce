#!/usr/bin/env python3
"""`runhooks serve --tls-cert FILE --tls-key FILE`: the management API over
HTTPS, with a CA and a server certificate made at test time by openssl.
A client that trusts the CA is served (keys, hooks, a fired event's
delivery); one that does not is refused by its own TLS; plain HTTP and a
client that never finishes its handshake are closed without taking the
server down; certificates it cannot use are refused at start, naming the
option.

Usage: serve_https.py PATH/TO/runhooks
"""

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support", "python"))
from runhooks_serve import Receiver, Serve, make_certificates  # noqa: E402

CLI = None


class ServeOverHttps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.TemporaryDirectory()
        cls.ca, cls.cert, cls.key_file = make_certificates(cls.certs.name)
        cls.serve = Serve(CLI, "--tls-cert", cls.cert, "--tls-key", cls.key_file, "--header-timeout", "2")
        cls.trusting = ssl.create_default_context(cafile=cls.ca)
        cls.key = cls.serve.key("--all-projects")

    @classmethod
    def tearDownClass(cls):
        cls.serve.stop()
        cls.certs.cleanup()

    def call(self, method, path, body=None, context=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.serve.base + path, data=data, method=method,
                                         headers={"Authorization": "Bearer " + self.key,
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10, context=context or self.trusting) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def assert_still_serving(self):
        status, body = self.call("GET", "/healthz")
        self.assertEqual((status, body), (200, {"status": "OK"}))

    def test_a_trusting_client_uses_the_api_and_a_delivery_goes_out(self):
        receiver = Receiver(lambda n, path: (200, {}, "ok", 0))
        try:
            status, me = self.call("GET", "/v1/me")
            self.assertEqual(status, 200, me)
            status, created = self.call("POST", "/v1/webhooks?projectId=proj_tls", {
                "url": receiver.url, "hookEvents": ["RUN_FINISH"]})
            self.assertEqual(status, 201, created)
            self.serve.fire("proj_tls")
            deadline = time.monotonic() + 20
            while receiver.count() == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(receiver.count(), 1)
            self.assertIn("webhook-signature", {name.lower() for name in receiver.requests[0]["headers"]})
        finally:
            receiver.stop()

    def test_a_client_that_does_not_trust_the_certificate_refuses_it(self):
        with self.assertRaises(urllib.error.URLError) as raised:
            self.call("GET", "/healthz", context=ssl.create_default_context())
        self.assertIsInstance(raised.exception.reason, ssl.SSLCertVerificationError)
        self.assert_still_serving()

    def test_plain_http_on_the_https_port_gets_no_answer(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.serve.port, timeout=10)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine)):
            connection.request("GET", "/healthz")
            connection.getresponse()
        connection.close()
        self.assert_still_serving()

    def test_a_client_that_never_shakes_hands_is_closed_at_the_header_deadline(self):
        silent = socket.create_connection(("127.0.0.1", self.serve.port), timeout=10)
        try:
            self.assert_still_serving()  # others are served meanwhile
            started = time.monotonic()
            self.assertEqual(silent.recv(1), b"")  # closed by the server (--header-timeout 2)
            self.assertLess(time.monotonic() - started, 9)
        finally:
            silent.close()
        self.assert_still_serving()


class ServeRefusesUnusableFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.TemporaryDirectory()
        cls.ca, cls.cert, cls.key_file = make_certificates(cls.certs.name)
        cls.store = "sqlite:" + os.path.join(cls.certs.name, "runhooks.db")

    @classmethod
    def tearDownClass(cls):
        cls.certs.cleanup()

    def start(self, *tls):
        return subprocess.run([CLI, "--store", self.store, "serve", "--listen", "127.0.0.1:0", *tls],
                              capture_output=True, text=True, timeout=30)

    def test_refusals_name_the_option(self):
        cases = [
            (("--tls-cert", self.cert), "--tls-cert requires --tls-key"),
            (("--tls-key", self.key_file), "--tls-key requires --tls-cert"),
            (("--tls-cert", self.cert, "--tls-key", os.path.join(self.certs.name, "none.pem")),
             "--tls-key: File does not exist"),
            (("--tls-cert", self.key_file, "--tls-key", self.key_file), "--tls-cert: cannot use"),
            (("--tls-cert", self.cert, "--tls-key", os.path.join(self.certs.name, "ca.key")),
             "--tls-key: cannot use"),
        ]
        for tls, message in cases:
            with self.subTest(tls=tls):
                result = self.start(*tls)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(message, result.stderr)
                self.assertEqual(result.stdout, "")  # never said it was listening


if __name__ == "__main__":
    CLI = sys.argv.pop(1)
    unittest.main(verbosity=2)
