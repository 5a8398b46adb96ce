#!/usr/bin/env python3
"""The management API as its users meet it: `runhooks serve` (with its worker)
on a SQLite store, spoken to over real HTTP, delivering to real receivers on
loopback that fail then succeed, answer 410, or answer slowly; events stored
by `runhooks fire` from another process; /metrics read by Prometheus' own
text parser.

Usage: api_over_http.py PATH/TO/runhooks
"""

import json
import os
import signal
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support", "python"))
from runhooks_serve import Receiver, Serve  # noqa: E402

CLI = None


def ok(n, path=None):
    return 200, {"X-Receiver": "ok"}, "thanks", 0


class ApiOverHttp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.serve = Serve(CLI)
        cls.store, cls.base = cls.serve.store, cls.serve.base
        cls.all = cls.serve.key("--all-projects")
        cls.rw = cls.serve.key("--project", "proj_a")
        cls.ro = cls.serve.key("--project", "proj_a", "--read-only")
        cls.other = cls.serve.key("--project", "proj_b")
        cls.receivers = []

    @classmethod
    def tearDownClass(cls):
        for receiver in cls.receivers:
            receiver.stop()
        cls.serve.stop()

    @classmethod
    def receiver(cls, answer=ok):
        receiver = Receiver(answer)
        cls.receivers.append(receiver)
        return receiver

    def call(self, method, path, key, body=None, content_type="application/json"):
        data = None if body is None else (body if isinstance(body, str) else json.dumps(body)).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if key:
            request.add_header("Authorization", "Bearer " + key)
        if content_type and data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, headers, text = response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            status, headers, text = error.code, error.headers, error.read().decode()
        is_json = headers.get("Content-Type", "").startswith("application/json")
        return status, headers, json.loads(text) if is_json else text

    def data(self, method, path, key, body=None, expect=200):
        status, _, doc = self.call(method, path, key, body)
        self.assertEqual(status, expect, doc)
        return doc["data"]

    def hook(self, url, project, **fields):
        return self.data("POST", "/webhooks?projectId=" + project, self.all, {"url": url, **fields}, 201)["hookId"]

    def fire(self, project, event="RUN_FINISH", run="1"):
        return self.serve.fire(project, event, run)

    def wait_until(self, what, condition, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)

    def delivery(self, delivery_id, key=None):
        return self.data("GET", "/deliveries/" + delivery_id, key or self.all)

    def settled(self, delivery_id):
        return self.wait_until("delivery " + delivery_id + " to settle",
                               lambda: (lambda d: d if d["status"] != "pending" else None)(self.delivery(delivery_id)))

    # ---- the tests ----------------------------------------------------------

    def test_a_failed_attempt_then_a_success_with_request_and_response_recorded(self):
        flaky = self.receiver(lambda n, path: (500, {"X-Attempt": str(n)}, "not yet", 0) if n == 1 else ok(n))
        hook = self.hook(flaky.url, "proj_flaky", headers=json.dumps({"Authorization": "Bearer receiver-credential"}))
        [delivery_id] = self.fire(project="proj_flaky", run="flaky")
        delivery = self.settled(delivery_id)  # the retry comes after the first delay (about 5 s)
        self.assertEqual(delivery["status"], "succeeded")
        self.assertEqual(delivery["attempts"], 2)
        self.assertEqual(delivery["event"], "RUN_FINISH")
        self.assertEqual(delivery["payload"]["runUrl"], "https://ci.example/run/flaky")
        self.assertEqual(delivery["webhookId"], "msg_" + delivery_id)

        latest, first = self.data("GET", "/deliveries/%s/attempts" % delivery_id, self.all)
        self.assertEqual((first["outcome"], first["statusCode"]), ("http_status", 500))
        self.assertEqual(first["response"]["body"], "not yet")
        self.assertEqual(first["response"]["headers"]["X-Attempt"], "1")
        self.assertEqual((latest["outcome"], latest["statusCode"]), ("succeeded", 200))
        self.assertEqual(latest["request"]["url"], flaky.url)
        self.assertEqual(latest["request"]["headers"]["Authorization"], "[redacted]")
        self.assertTrue(latest["request"]["headers"]["webhook-signature"].startswith("v1,"))
        self.assertEqual(latest["request"]["body"], flaky.requests[1]["body"])
        self.assertEqual(flaky.requests[1]["headers"]["Authorization"], "Bearer receiver-credential")

        hooks = {h["hookId"]: h for h in self.data("GET", "/webhooks?projectId=proj_flaky", self.all)}
        self.assertEqual(hooks[hook]["lastDelivery"]["deliveryId"], delivery_id)
        self.assertEqual(hooks[hook]["lastDelivery"]["status"], "succeeded")

        # Sent again by hand: the same webhook-id, recorded as manual.
        again = self.data("POST", "/deliveries/%s/redeliver" % delivery_id, self.all, None, 202)
        self.assertEqual((again["deliveryId"], again["status"]), (delivery_id, "pending"))
        self.assertEqual(self.settled(delivery_id)["attempts"], 3)
        self.assertEqual(self.data("GET", "/deliveries/%s/attempts" % delivery_id, self.all)[0]["trigger"], "manual")
        self.assertEqual(flaky.requests[2]["headers"]["webhook-id"], flaky.requests[0]["headers"]["webhook-id"])

    def test_410_disables_the_hook_a_test_send_still_reaches_it_and_put_enables_it(self):
        gone = self.receiver(lambda n, path: (410, {}, "gone", 0))
        hook = self.hook(gone.url, "proj_gone")
        [delivery_id] = self.fire(project="proj_gone", run="gone")
        self.assertEqual(self.settled(delivery_id)["status"], "failed")
        state = self.wait_until("the hook to be disabled",
                                lambda: (lambda h: h if not h["enabled"] else None)(
                                    self.data("GET", "/webhooks/" + hook, self.all)))
        self.assertIn("410", state["disabledReason"])
        self.assertIsNotNone(state["disabledAt"])

        status, _, redeliver = self.call("POST", "/deliveries/%s/redeliver" % delivery_id, self.all)
        self.assertEqual(status, 409, redeliver)
        self.assertEqual(redeliver["error"], "hook is disabled: enable it first")

        sent = self.data("POST", "/webhooks/%s/test?wait=20" % hook, self.all, {"event": "RUN_START"})
        self.assertEqual(sent["attempt"]["trigger"], "test")
        self.assertEqual((sent["attempt"]["outcome"], sent["attempt"]["statusCode"]), ("http_status", 410))
        self.assertIn('"event":"RUN_START"', gone.requests[-1]["body"])
        after = self.data("GET", "/webhooks/" + hook, self.all)
        self.assertFalse(after["enabled"])  # a test send changes nothing of the hook
        self.assertEqual(after["disabledReason"], state["disabledReason"])

        enabled = self.data("PUT", "/webhooks/" + hook, self.all, {"enabled": True})
        self.assertTrue(enabled["enabled"])
        self.assertIsNone(enabled["disabledReason"])
        self.assertGreater(enabled["updatedAt"], state["createdAt"])

    def test_a_test_send_to_a_hook_not_subscribed_waits_for_a_slow_answer(self):
        slow = self.receiver(lambda n, path: (200, {}, "slowly", 1.0))
        hook = self.hook(slow.url, "proj_slow", hookEvents=["RUN_START"])
        sent = self.data("POST", "/v1/webhooks/%s/test?wait=20" % hook, self.all, {"event": "RUN_FINISH"})
        self.assertEqual(sent["attempt"]["outcome"], "succeeded")
        self.assertGreaterEqual(sent["attempt"]["durationMs"], 900)
        self.assertEqual(slow.count(), 1)
        self.assertIn("runhooks-test", slow.requests[0]["body"])
        queued = self.data("POST", "/webhooks/%s/test" % hook, self.all, None, 202)
        self.assertEqual(set(queued), {"deliveryId", "eventId"})

    def test_recover_resends_what_failed_during_an_outage(self):
        down = {"on": True}
        receiver = self.receiver(lambda n, path: (503, {}, "down", 0) if down["on"] else ok(n))
        hook = self.hook(receiver.url, "proj_outage")
        since = (datetime.now(timezone.utc) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        ids = self.fire(project="proj_outage", run="outage-1") + self.fire(project="proj_outage", run="outage-2")
        self.wait_until("the first attempts", lambda: receiver.count() >= 2)
        # The outage goes on: the operator disables the hook, and what was
        # waiting for a retry fails for good at its next attempt.
        self.data("PUT", "/webhooks/" + hook, self.all, {"enabled": False, "disabledReason": "receiver down"})
        for delivery_id in ids:
            self.assertEqual(self.settled(delivery_id)["status"], "failed")
        status, _, refused = self.call("POST", "/webhooks/%s/recover" % hook, self.all, {"since": since})
        self.assertEqual(status, 409, refused)

        down["on"] = False
        self.data("PUT", "/webhooks/" + hook, self.all, {"enabled": True})
        self.assertEqual(self.data("POST", "/webhooks/%s/recover" % hook, self.all, {"since": since}, 202),
                         {"count": 2})
        for delivery_id in ids:
            self.assertEqual(self.settled(delivery_id)["status"], "succeeded")
        triggers = [a["trigger"] for a in self.data("GET", "/deliveries/%s/attempts" % ids[0], self.all)]
        self.assertEqual(triggers[0], "manual")

    def test_pages_of_deliveries_follow_next_cursor_without_gaps(self):
        receiver = self.receiver()
        hook = self.hook(receiver.url, project="proj_page")
        fired = []
        for run in range(5):
            fired += self.fire(project="proj_page", run="page-%d" % run)
        seen, path = [], "/webhooks/%s/deliveries?limit=2" % hook
        while True:
            status, _, page = self.call("GET", path, self.all)
            self.assertEqual(status, 200, page)
            seen += [d["deliveryId"] for d in page["data"]]
            if page["nextCursor"] is None:
                break
            path = "/webhooks/%s/deliveries?limit=2&cursor=%s" % (hook, page["nextCursor"])
        self.assertEqual(seen, list(reversed(fired)))

    def test_scope_read_only_and_refusals(self):
        hook_b = self.hook("https://example.com/b", project="proj_b")
        [delivery_b] = self.fire(project="proj_b", run="scope")
        for path in ("/deliveries/" + delivery_b, "/deliveries/%s/attempts" % delivery_b,
                     "/webhooks/%s/deliveries" % hook_b):
            self.assertEqual(self.call("GET", path, self.rw)[0], 404, path)
            self.assertEqual(self.call("GET", path, self.other)[0], 200, path)
        hook_a = self.hook("https://example.com/a", "proj_a")
        for method, path, body in (("POST", "/webhooks/%s/test" % hook_a, None),
                                   ("POST", "/webhooks/%s/recover" % hook_a, {"since": "2026-01-01T00:00:00Z"}),
                                   ("PUT", "/webhooks/" + hook_a, {"enabled": False})):
            self.assertEqual(self.call(method, path, self.ro, body)[0], 403, path)
        self.assertEqual(self.call("GET", "/metrics", self.rw)[0], 403)

        status, headers, _ = self.call("GET", "/me", None)
        self.assertEqual(status, 401)
        self.assertTrue(headers["WWW-Authenticate"].startswith("Bearer"))
        status, _, refused = self.call("POST", "/webhooks/%s/test" % hook_a, self.rw, "event=RUN_START",
                                       "application/x-www-form-urlencoded")
        self.assertEqual(status, 415, refused)
        me = self.data("GET", "/v1/me", self.ro)
        self.assertEqual((me["projects"], me["readOnly"], me["allProjects"]), (["proj_a"], True, False))
        projects = [p["projectId"] for p in self.data("GET", "/projects", self.all)]
        self.assertIn("proj_a", projects)
        self.assertIn("proj_b", projects)
        self.assertEqual(self.call("GET", "/healthz", None)[2], {"status": "OK"})

    def test_metrics_parse_as_prometheus_text_and_the_counters_move(self):
        def scrape():
            status, headers, text = self.call("GET", "/metrics", self.all)
            self.assertEqual(status, 200)
            self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
            samples = {}
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
            return samples

        succeeded = ("runhooks_attempts_total", (("outcome", "succeeded"),))
        before = scrape()
        self.assertIn(("runhooks_deliveries_pending", ()), before)
        self.assertIn(("runhooks_attempt_duration_seconds_count", ()), before)
        receiver = self.receiver()
        hook = self.hook(receiver.url, project="proj_metrics")
        self.data("POST", "/webhooks/%s/test?wait=20" % hook, self.all)
        after = scrape()
        self.assertGreater(after[succeeded], before.get(succeeded, 0))
        self.assertGreater(after[("runhooks_attempt_duration_seconds_count", ())],
                           before[("runhooks_attempt_duration_seconds_count", ())])
        self.assertEqual(after[("runhooks_attempt_duration_seconds_bucket", (("le", "+Inf"),))],
                         after[("runhooks_attempt_duration_seconds_count", ())])

    def test_a_worker_without_serve_serves_metrics_and_healthz_on_its_own_port(self):
        worker = subprocess.Popen(
            [CLI, "--store", self.store, "worker", "--metrics-listen", "127.0.0.1:0", "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            lines = [worker.stdout.readline(), worker.stdout.readline()]
            [line] = [l for l in lines if l.startswith("metrics on http://")]
            base = line.strip()[len("metrics on "):-len("/metrics")]

            def get(path, key=None):
                request = urllib.request.Request(base + path)
                if key:
                    request.add_header("Authorization", "Bearer " + key)
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        return response.status, response.read().decode()
                except urllib.error.HTTPError as error:
                    return error.code, error.read().decode()

            status, text = get("/metrics", self.all)
            self.assertEqual(status, 200)
            families = {f.name for f in text_string_to_metric_families(text)}
            self.assertIn("runhooks_attempts", families)  # the parser names a counter without _total
            self.assertIn("runhooks_deliveries_pending", families)
            self.assertEqual(get("/metrics", self.rw)[0], 403)
            self.assertEqual(get("/metrics")[0], 401)
            self.assertEqual(get("/healthz"), (200, '{"status":"OK"}'))
            self.assertEqual(get("/webhooks?projectId=proj_a", self.all)[0], 404)  # nothing but those two
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
            worker.stdout.close()


if __name__ == "__main__":
    CLI = sys.argv.pop(1)
    unittest.main(verbosity=2)
