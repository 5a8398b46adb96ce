#!/usr/bin/env python3
"""The web console (docs/console.md) in a real browser: Debian's chromium,
headless, driven by chromedriver through python3-selenium, against
`runhooks serve` on a fresh SQLite store and a real receiver on 127.0.0.1.
Events are fired by `runhooks fire` from another process. Screenshots of the
main views go to OUT_DIR.

Usage: console_test.py PATH/TO/runhooks OUT_DIR
Exits 77 (ctest's SKIP_RETURN_CODE) when chromium, chromedriver or selenium
is absent.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    webdriver = None

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support", "python"))
from runhooks_serve import Receiver, Serve, make_certificates  # noqa: E402

CLI = None
OUT = None
XSS = "<img src=x onerror=alert(1)>"
FAILING_BODY = "receiver says no <script>alert(2)</script>"


def answer(receiver_state):
    """What the console's receiver answers: /flaky answers
    `receiver_state["flaky"]` (500 or 200, switchable), /gone 410, anything
    else 200."""
    def respond(n, path):
        if path == "/flaky" and receiver_state["flaky"] != 200:
            return receiver_state["flaky"], {"Content-Type": "text/plain"}, FAILING_BODY, 0
        if path == "/gone":
            return 410, {"Content-Type": "text/plain"}, "gone for good", 0
        return 200, {"Content-Type": "text/plain"}, "thanks", 0
    return respond


class NginxProxy:
    """nginx terminating TLS on a free 127.0.0.1 port and passing
    /admin/webhooks/ to `upstream` (tests/console/nginx_proxy.conf.in)."""

    def __init__(self, nginx, directory, cert, key_file, upstream):
        os.chmod(directory, 0o755)  # nginx's workers run as another user
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(directory, temp), mode=0o777, exist_ok=True)
            os.chmod(os.path.join(directory, temp), 0o777)
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "nginx_proxy.conf.in")) as source:
            template = source.read()
        for attempt in range(5):  # a port picked free may be taken before nginx binds it
            port = free_port()
            conf = os.path.join(directory, "nginx.conf")
            with open(conf, "w") as out:
                out.write(template.replace("@DIR@", directory).replace("@PORT@", str(port))
                          .replace("@CERT@", cert).replace("@KEY@", key_file).replace("@UPSTREAM@", upstream))
            self.process = subprocess.Popen([nginx, "-c", conf, "-p", directory],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if wait_for_port(port, self.process):
                self.base = "https://127.0.0.1:%d" % port
                return
            self.stop()
        with open(os.path.join(directory, "error.log")) as log:
            raise RuntimeError("nginx did not start: " + log.read())

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class ConsoleInBrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.serve = Serve(CLI)
        cls.dir, cls.store, cls.base = cls.serve.dir, cls.serve.store, cls.serve.base
        cls.rw = cls.serve.key("--all-projects")
        cls.ro = cls.serve.key("--project", "proj_ui", "--read-only")
        cls.receiver_state = {"flaky": 500}
        cls.receiver = Receiver(answer(cls.receiver_state))

        options = Options()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,1000", "--no-first-run", "--disable-extensions",
                    "--disable-background-networking", "--disable-sync", "--disable-component-update",
                    "--disable-default-apps",
                    # the HTTPS test's certificate comes from a CA made for it
                    "--ignore-certificate-errors",
                    "--user-data-dir=" + os.path.join(cls.dir.name, "chromium")):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        cls.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        cls.console_errors = []

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.receiver.stop()
        cls.serve.stop()

    # ---- helpers -------------------------------------------------------------

    def fire(self, project="proj_ui", run="1"):
        return self.serve.fire(project, run=run)

    def wait(self, what, condition, timeout=30):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: condition())
        except Exception:
            self.shot("failure")
            self.fail("timed out waiting for " + what + "\npage text:\n" + self.driver.find_element(By.TAG_NAME, "body").text)

    def css(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def text(self, selector):
        """The text of the first match, "" when none (or when the page
        redrew it while it was read: the waits ask again)."""
        try:
            found = self.all(selector)
            return found[0].text if found else ""
        except StaleElementReferenceException:
            return ""

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(OUT, "console-%s.png" % name))

    def check_console(self):
        """No JavaScript error, CSP violation or missing asset so far; the
        API's own 4xx answers (network entries for API calls) are expected."""
        for entry in self.driver.get_log("browser"):
            if entry["level"] != "SEVERE":
                continue
            if entry.get("source") == "network" and "/console/" not in entry["message"]:
                continue
            self.console_errors.append(entry)
        self.assertEqual(self.console_errors, [])
        try:
            alert = self.driver.switch_to.alert
            self.fail("an alert is open: " + alert.text)
        except NoAlertPresentException:
            pass

    def sign_in(self, key, path="/console/", base=None):
        self.driver.get((base or self.base) + path)
        self.wait("the sign-in form", lambda: self.all("#sign-in #key"))
        self.css("#key").send_keys(key)
        self.css("#sign-in button[type=submit]").click()
        self.wait("signed in", lambda: "Sign out" in self.text("#sign-out") and self.css("#sign-out").is_displayed())

    def hook_card(self, label):
        for card in self.all("#hooks li.hook"):
            if card.find_element(By.CSS_SELECTOR, "h2 a").text == label:
                return card
        return None

    # ---- the test: one story, in order ---------------------------------------

    def test_the_console(self):
        d = self.driver
        recv = self.receiver

        # Served at /console (redirected to console/), sign in refused then accepted.
        d.get(self.base + "/console")
        self.wait("redirect to console/", lambda: d.current_url.endswith("/console/"))
        self.wait("the sign-in form", lambda: self.all("#sign-in #key"))
        self.shot("sign-in")
        self.css("#key").send_keys("rhk_" + "x" * 43)
        self.css("#sign-in button[type=submit]").click()
        self.wait("the refusal", lambda: "refused" in self.text("#key-error"))
        self.check_console()
        self.css("#key").clear()
        self.css("#key").send_keys(self.rw)
        self.css("#sign-in button[type=submit]").click()
        self.wait("the projects", lambda: "No project has hooks yet" in self.text("main"))
        self.assertIn("read-write", self.text("#who"))
        self.assertEqual(d.execute_script("return sessionStorage.getItem('runhooks.apiKey')"), self.rw)
        self.assertEqual(d.execute_script("return localStorage.length"), 0)
        self.css("#project-id").send_keys("proj_ui")
        self.css("#open-project button").click()
        self.wait("the empty project", lambda: "No hooks in this project yet" in self.text("main"))

        # A bad URL: the API's own message, at the field.
        self.css("#create-url").send_keys("ftp://example.com/hook")
        self.css("#create button[type=submit]").click()
        self.wait("the url error", lambda: "url scheme must be http or https" in self.text("#create-url-error"))
        self.assertEqual(self.css("#create-url").get_attribute("aria-invalid"), "true")
        self.assertEqual(self.text("#create-form-error"), "")
        bad_headers = '{"Host": "x"}'
        self.css("#create-url").clear()
        self.css("#create-url").send_keys(recv.base + "/flaky")
        self.css("#create-headers").send_keys(bad_headers)
        self.css("#create button[type=submit]").click()
        self.wait("the headers error", lambda: "reserved" in self.text("#create-headers-error"))
        self.check_console()

        # Good creates appear in the list; the XSS label is text.
        self.css("#create-headers").clear()
        self.css("#create-label").send_keys(XSS)
        self.css("#create button[type=submit]").click()
        self.wait("the new hook", lambda: self.hook_card(XSS))
        self.css("#create-url").send_keys(recv.base + "/gone")
        self.css("#create-label").send_keys("gone receiver")
        self.css("#create button[type=submit]").click()
        self.wait("the second hook", lambda: self.hook_card("gone receiver"))
        self.assertEqual(self.all("main img"), [])
        self.assertEqual(self.hook_card(XSS).find_element(By.CSS_SELECTOR, ".label").text, XSS)
        self.check_console()

        # A fired event's delivery appears live on the hook's page; the 500 is shown.
        self.hook_card(XSS).find_element(By.LINK_TEXT, "Deliveries").click()
        self.wait("the hook's page", lambda: "No deliveries yet" in self.text("main"))
        fired = self.fire(run="1")  # one delivery per hook: this one's and the 410 receiver's
        self.wait("the delivery, live", lambda: len(self.all("#deliveries tr")) == 1, timeout=20)
        row = self.css("#deliveries tr")
        delivery_id = row.get_attribute("data-delivery-id")
        self.assertIn(delivery_id, fired)
        self.wait("its first attempt", lambda: self.text("#deliveries tr td.num") == "1", timeout=20)
        self.assertIn("HTTP 500", self.text("#deliveries tr"))
        self.css("#deliveries tr a").click()
        self.wait("the failed attempt", lambda: FAILING_BODY in self.text("#attempts .response-body"))
        self.assertIn("HTTP 500", self.text("#attempts h3"))
        self.assertIn('"runUrl": "https://ci.example/run/1"', self.text("#payload"))
        self.shot("delivery-failed")
        self.check_console()

        # Redeliver after the receiver recovers: green.
        self.receiver_state["flaky"] = 200
        self.css("[data-testid=redeliver]").click()
        self.wait("succeeded", lambda: self.text("#delivery-status") == "succeeded", timeout=30)
        self.wait("the manual attempt", lambda: "manual" in self.text("#attempts"), timeout=15)
        self.assertEqual(self.css("#delivery-status .badge").value_of_css_property("color"), "rgba(26, 127, 55, 1)")
        self.shot("delivery")
        self.check_console()

        # More deliveries, a test send, the secret: the hook page as a user sees it.
        self.fire(run="2")
        self.fire(run="3")
        d.find_element(By.LINK_TEXT, "hook").click()
        self.wait("three deliveries", lambda: len(self.all("#deliveries tr")) == 3)
        self.wait("all succeeded", lambda: self.text("#deliveries").count("succeeded") == 3, timeout=20)
        sent_before = recv.count()
        self.css("#test-event option[value=RUN_START]").click()
        self.css("[data-testid=send-test]").click()
        self.wait("the test outcome", lambda: "HTTP 200" in self.text("#test-out"), timeout=20)
        self.assertIn("Test RUN_START: succeeded", self.text("#test-out"))
        self.assertEqual(json.loads(recv.requests[sent_before]["body"])["event"], "RUN_START")
        self.css("[data-testid=reveal-secret]").click()
        self.wait("the secret", lambda: self.text("#secret-out code").startswith("whsec_"))
        old = self.text("#secret-out code")
        self.css("[data-testid=rotate-secret]").click()
        self.wait("a new secret", lambda: self.text("#secret-out code").startswith("whsec_") and self.text("#secret-out code") != old)
        self.css("#status-filter option[value=failed]").click()
        self.wait("no failed", lambda: "No deliveries failed yet" in self.text("main"))
        self.css("#status-filter option[value='']").click()
        self.wait("four deliveries", lambda: len(self.all("#deliveries tr")) == 4)
        self.shot("deliveries")
        self.check_console()

        # The 410: the hook shows disabled with its reason; enabling works.
        d.find_element(By.LINK_TEXT, "proj_ui").click()
        self.wait("the gone hook disabled", lambda: "410" in (self.hook_card("gone receiver") and
                                                             self.hook_card("gone receiver").find_element(By.CSS_SELECTOR, ".hook-state").text or ""),
                  timeout=30)
        state = self.hook_card("gone receiver").find_element(By.CSS_SELECTOR, ".hook-state").text
        self.assertIn("disabled", state)
        self.assertIn("since", state)
        self.shot("hooks")
        self.hook_card("gone receiver").find_element(By.CSS_SELECTOR, "[data-testid=enable]").click()
        self.wait("enabled again", lambda: self.hook_card("gone receiver").find_element(By.CSS_SELECTOR, ".hook-state").text == "enabled")
        self.check_console()

        # Phone-sized: nothing wider than the screen.
        d.set_window_size(390, 844)
        time.sleep(0.5)
        self.assertLessEqual(d.execute_script("return document.documentElement.scrollWidth"),
                             d.execute_script("return window.innerWidth"))
        self.shot("hooks-phone")
        d.set_window_size(1280, 1000)

        # Sign out forgets the key.
        self.css("#sign-out").click()
        self.wait("the sign-in form", lambda: self.all("#sign-in #key"))
        self.assertIsNone(d.execute_script("return sessionStorage.getItem('runhooks.apiKey')"))

        # A read-only key, under /v1/ this time: write controls disabled, not failing.
        self.sign_in(self.ro, "/v1/console/")
        self.assertIn("read-only", self.text("#who"))
        self.wait("its project", lambda: self.all("#projects a"))
        self.css("#projects a").click()
        self.wait("the hooks", lambda: self.hook_card(XSS))
        self.assertFalse(self.css("#create button[type=submit]").is_enabled())
        self.assertFalse(self.css("#create-url").is_enabled())
        self.hook_card(XSS).find_element(By.LINK_TEXT, "Deliveries").click()
        self.wait("the hook's page", lambda: self.all("[data-testid=rotate-secret]"))
        for control in ("rotate-secret", "reveal-secret", "send-test"):
            self.assertFalse(self.css("[data-testid=%s]" % control).is_enabled(), control)
        self.wait("deliveries", lambda: self.all("#deliveries tr a"))
        self.css("#deliveries tr a").click()
        self.wait("the delivery", lambda: self.all("[data-testid=redeliver]"))
        self.assertFalse(self.css("[data-testid=redeliver]").is_enabled())
        self.check_console()

        # What the first load cost.
        first_load = d.execute_script(
            "return performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))"
            ".filter(e => e.name.includes('/console/')).reduce((n, e) => n + e.decodedBodySize, 0)")
        print("console first load: %d bytes (decoded)" % first_load, file=sys.stderr)

    def test_over_https(self):
        """`runhooks serve --tls-cert --tls-key`: the console signs in and
        calls its API over HTTPS, the key never crossing in the clear."""
        certs = tempfile.TemporaryDirectory()
        _, cert, key_file = make_certificates(certs.name)
        serve = Serve(CLI, "--tls-cert", cert, "--tls-key", key_file)
        try:
            self.assertTrue(serve.base.startswith("https://"))
            key = serve.key("--all-projects")
            self.driver.get(serve.base + "/console/")
            self.wait("the sign-in form", lambda: self.all("#sign-in #key"))
            self.css("#key").send_keys(key)
            self.css("#sign-in button[type=submit]").click()
            self.wait("the projects", lambda: "No project has hooks yet" in self.text("main"))
            self.assertEqual(self.driver.execute_script("return location.protocol"), "https:")
            self.check_console()
        finally:
            serve.stop()
            certs.cleanup()

    def test_behind_nginx_under_a_prefix(self):
        """docs/console.md's nginx setup: TLS ends at nginx, which passes
        /admin/webhooks/ to `runhooks serve` with the prefix removed; the
        console finds its API under the prefix."""
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            self.skipTest("nginx is not installed (scripts/install-deps.sh installs it)")
        work = tempfile.TemporaryDirectory()
        _, cert, key_file = make_certificates(work.name)
        proxy = NginxProxy(nginx, work.name, cert, key_file, self.base)
        try:
            self.sign_in(self.rw, "/admin/webhooks/console/", base=proxy.base)
            self.wait("the projects", lambda: "proj_ui" in self.text("main") or "No project" in self.text("main"))
            calls = self.driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)"
                ".filter(n => n.includes('/me') || n.includes('/projects'))")
            self.assertTrue(calls)
            for url in calls:
                self.assertTrue(url.startswith(proxy.base + "/admin/webhooks/"), url)
            self.check_console()
        finally:
            proxy.stop()
            work.cleanup()

    def test_assets_are_served_with_strict_headers(self):
        with urllib.request.urlopen(self.base + "/console/") as response:
            headers = response.headers
            page = response.read().decode()
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        self.assertIn("frame-ancestors 'none'", headers["Content-Security-Policy"])
        self.assertNotIn("unsafe-inline", headers["Content-Security-Policy"])
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(headers["Referrer-Policy"], "no-referrer")
        self.assertEqual(headers["Cache-Control"], "no-cache")
        self.assertTrue(headers["ETag"].startswith('"'))
        self.assertNotIn("<script>", page)
        with urllib.request.urlopen(self.base + "/console/app.js") as response:
            self.assertEqual(response.headers["Content-Type"], "text/javascript; charset=utf-8")


def main():
    global CLI, OUT
    CLI, OUT = sys.argv[1], sys.argv[2]
    missing = [what for what, there in (("chromium", os.path.exists(CHROMIUM)),
                                        ("chromium-driver", os.path.exists(CHROMEDRIVER)),
                                        ("python3-selenium", webdriver is not None)) if not there]
    if missing:
        print("SKIP: not installed: " + ", ".join(missing) + " (scripts/install-deps.sh installs them)")
        sys.exit(77)
    os.makedirs(OUT, exist_ok=True)
    unittest.main(argv=[sys.argv[0], "-v"])


if __name__ == "__main__":
    main()
