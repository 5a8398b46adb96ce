// The --help texts.

#include "cli.hpp"

#include <map>
#include <set>

namespace runhooks::cli {

namespace {

const char* const kOverview = R"(runhooks - webhooks for test runners: a registry of endpoints, signed delivery

USAGE
  runhooks [--store URI] COMMAND [OPTIONS]

STORE
  --store URI        where hooks, keys and the delivery outbox live:
                     sqlite:PATH (default sqlite:./runhooks.db), sqlite:PATH?mode=ro, memory:
                     sqlite:PATH?synchronous=full syncs every commit to the disk (slower;
                     survives power loss)
                     Without --store, $RUNHOOKS_STORE is used if set.

COMMANDS
  serve              serve the management API over HTTP (and deliver)
  worker             deliver pending events until SIGTERM/SIGINT
  keys               create, list and revoke API keys
  hooks              create, list, get, update, delete hooks; show or rotate secrets
  fire               notify a run event (and optionally wait for its delivery)
  deliveries         list deliveries
  attempts           list the attempts of one delivery
  redeliver          send a delivery again, with the same webhook-id
  recover            queue again a hook's deliveries that failed since a time
  me                 what the API knows of a key (GET /me)
  verify             check a Standard Webhooks signature, as a receiver would
  openapi            print the OpenAPI 3 document of the management API
  help [COMMAND]     this text, or a command's

--store may come before or after the command; a plain path means sqlite:PATH.
Every command that prints data takes --json and then prints one JSON document.
Errors go to stderr.

EXIT STATUS
  0  success
  1  failure: storage, not found, conflict (a reused idempotency key, a disabled
     hook), a delivery or test send that did not succeed under --wait, a
     signature that does not match, an unknown key (me)
  2  bad usage or invalid input (an unknown option, a number out of range, a
     payload of the wrong type), naming the option or field
  3  fire matched no enabled hook (exit 0 with --allow-no-hooks)

`runhooks help COMMAND` or `runhooks COMMAND --help` describes a command.
)";

const std::map<std::string, const char*> kHelp = {
    {"serve", R"(runhooks serve - the management API over HTTP

USAGE
  runhooks serve [--listen HOST:PORT] [--threads N] [--no-worker] [--allow-network CIDR]...
                 [--concurrency N] [--per-endpoint-concurrency N] [--lease SECONDS] [--retention-days N]
                 [--ca-file FILE] [--ca-path DIR]
                 [--max-connections N] [--header-timeout SECONDS] [--request-timeout SECONDS]
                 [--idle-timeout SECONDS] [--tls-cert FILE --tls-key FILE]

Serves the management API (hooks and their secrets, deliveries and attempts,
redelivery, test sends, recovery, /me, /projects, /metrics, /healthz and
/openapi.json, also under /v1/) and the web console at /console/, with Bearer
API keys (see `runhooks keys`). The first line printed is `listening on http://HOST:PORT`
(https:// with --tls-cert).

OPTIONS
  --listen HOST:PORT     address to bind (default 127.0.0.1:8080; port 0 picks a free one)
  --threads N            threads running the API (default 8); sockets have a thread of their own
  --no-worker            do not deliver events in this process
  --allow-network CIDR   open a subnet the delivery network policy denies (e.g. 127.0.0.0/8);
                         repeatable
  --ca-file FILE, --ca-path DIR, --concurrency N, --per-endpoint-concurrency N,
  --lease SECONDS, --retention-days N,
  --log-level, --log-format, --quiet, --log-summary SECONDS
                         the in-process worker's and its log, as for `runhooks worker`
  --max-connections N    open connections at most (default 1024); when full, a new one
                         pushes out the one that has waited longest for its request.
                         With the worker's --concurrency, they must fit in the open-file
                         limit (raised to the hard one) less 256; when not, the worker
                         gets half at most, the server the rest, said on stderr
  --header-timeout SECONDS   a request's line and headers must arrive within (default 10)
  --request-timeout SECONDS  and the whole request within (default 30)
  --idle-timeout SECONDS     a connection silent this long is closed (default 5)
  --tls-cert FILE --tls-key FILE
                         serve HTTPS (TLS 1.2+): the certificate chain, the server's
                         first, and its unencrypted key, both PEM; read once at start

Requests: HTTP/1.1 keep-alive and pipelining; request line up to 8 KiB (414),
head up to 16 KiB (431), body up to 64 KiB (413, answered before reading a
body whose Content-Length is over). Ambiguous framing (two Content-Lengths,
Content-Length with Transfer-Encoding), a NUL or control character in the
target, and a missing Host are 400 and close the connection. SIGTERM or
SIGINT stops accepting, answers the requests being handled, and drains
deliveries in flight (10 s) before exiting.
)"},
    {"worker", R"(runhooks worker - deliver pending events

USAGE
  runhooks worker [--allow-network CIDR]... [--ca-file FILE] [--ca-path DIR] [--concurrency N]
                  [--per-endpoint-concurrency N] [--lease SECONDS] [--retention-days N] [--metrics-listen HOST:PORT]
                  [--log-level warn|info] [--log-format text|json] [--quiet] [--log-summary SECONDS]

Claims due deliveries from the store, sends them (signed, with retries) until
SIGTERM or SIGINT, then drains what is in flight (10 s) and gives back the
rest. Several workers, in one or many processes, on one or many hosts (with a
postgresql:// store), share a store safely.

OPTIONS
  --allow-network CIDR   open a subnet the network policy denies; repeatable
  --ca-file FILE         trust the certificate authorities of this PEM bundle for
                         HTTPS deliveries (receivers with a private CA's certificate),
                         in place of the default bundle
  --ca-path DIR          the same from a directory of hashed certificates (openssl
                         rehash), in place of the default directory. Certificates and
                         host names are always verified; a file or directory that
                         cannot be used exits 2 before anything is done
  --concurrency N        requests in flight at once (default 256); each is a socket:
                         the soft open-file limit is raised to the hard one at start,
                         and a concurrency that still does not fit (with 256 to spare)
                         is lowered to fit, said on stderr
  --per-endpoint-concurrency N
                         requests in flight at once to one hook (default 8); a
                         hook's deliveries past it wait for one of its own to end
  --lease SECONDS        how long a claimed delivery is this worker's (default
                         60); what a killed worker held is taken over after it
  --retention-days N     events are deleted, with their deliveries and attempts,
                         N days after their last delivery finished, and attempts
                         N days after they were made (default 30; 0 keeps all)
  --metrics-listen HOST:PORT
                         also serve GET /metrics (Prometheus text; a bearer key
                         for all projects) and GET /healthz on this address

LOGGING (stderr; serve takes the same options)
  By default: failed attempts, storage errors, hooks disabled, and a summary
  of the worker's figures every --log-summary seconds (60; 0: none).
  --log-level info       also one line per attempt
  --log-format json      one JSON object a line instead of text
  --quiet                nothing but fatal errors
  An attempt line has hookId, deliveryId, trigger, outcome, status,
  durationMs, the delivery's status and attempts: never the URL, header
  fields or error text, which may carry the receiver's secrets.
)"},
    {"keys", R"(runhooks keys - API keys of the management API

USAGE
  runhooks keys create (--project P)... | --all-projects [--read-only] [--label TEXT] [--json]
  runhooks keys list [--json]
  runhooks keys revoke KEY_ID [--json]
  runhooks me [--key KEY] [--json]       (key from $RUNHOOKS_KEY when not given)

create prints the key once (store it: only its SHA-256 is kept). A key reaches
the projects given (or all), read-write unless --read-only. --json prints
{"keyId":...,"key":...}. `me` prints what GET /me shows of a key: key id,
label, projects, read-only; exit 1 for an unknown key.
)"},
    {"me", R"(runhooks me - what the API knows of a key

USAGE
  runhooks me [--key KEY] [--json]

The key comes from --key, else $RUNHOOKS_KEY. Prints its key id, label,
projects and access (read-only or read-write), as GET /me shows them.
Exit 1 for an unknown or revoked key.
)"},
    {"hooks", R"(runhooks hooks - the webhook registry

USAGE
  runhooks hooks create --project P --url URL [--headers JSON] [--label TEXT] [--events E1,E2] [--json]
  runhooks hooks list --project P [--json]
  runhooks hooks get ID [--json]
  runhooks hooks delete ID [--json]
  runhooks hooks update ID [--url URL] [--headers JSON | --clear-headers] [--label TEXT | --clear-label]
                           [--events E1,E2] [--enable | --disable] [--json]
  runhooks hooks secret ID [--json]          print the signing secret (whsec_...)
  runhooks hooks rotate-secret ID [--json]   new secret; the old one signs for 24 h more
  runhooks hooks enable ID [--json]
  runhooks hooks disable ID [--reason TEXT] [--json]
  runhooks hooks test ID [--event E] [--wait SECONDS] [--allow-network CIDR]...
                         [--ca-file FILE] [--ca-path DIR] [--json]

Events: RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED; none means all.
--headers is a JSON object string, e.g. '{"Authorization":"Bearer t"}'.
--events may be repeated; spaces after commas are fine.
--json prints the wire-format Webhook object (an array for list).

create warns on stderr when the URL's host is an IP address the default
network policy denies (loopback, private ranges), naming the --allow-network
a worker needs; the hook is created all the same.

hooks test stores a sample event for that hook alone (whatever its events or
state), sent once ahead of its backlog. With --wait S this process sends it
(and nothing else), waits up to S seconds and prints the attempt's outcome:
exit 0 only on a 2xx.
)"},
    {"fire", R"(runhooks fire - notify a run event

USAGE
  runhooks fire EVENT --project P [--payload FILE|-] [--idempotency-key K] [--wait SECONDS]
                [--allow-network CIDR]... [--ca-file FILE] [--ca-path DIR] [--allow-no-hooks]
                [--json] [RUN FLAGS]

Stores EVENT (RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED) for every
enabled hook of project P that takes it. The payload (a JSON object, the
wire-format run payload; "event" is set from EVENT) comes from FILE or stdin.
Without --wait the event is only stored: `runhooks worker` or `serve` delivers
it. With --wait N this process delivers, waits up to N seconds, prints each
delivery's outcome and exits 0 only if every delivery succeeded. It sends
only the deliveries of the event it stored: nothing else of the store.
--allow-network, --ca-file and --ca-path are as for `runhooks worker`.

The payload is checked against the run payload's types (runUrl, buildId,
groupId strings; tags strings; commit members strings; counts whole numbers,
0 or more); a refusal names the member and exits 2. Unknown members pass.

RUN FLAGS (each sets one member, over what --payload gave)
  --run-url, --build-id, --group-id TEXT
  --tag TEXT (repeatable; replaces tags)
  --commit-sha, --branch, --author-name, --author-email, --commit-message,
  --remote-origin, --default-branch TEXT      (commit.*)
  --overall, --passes, --failures, --pending, --skipped, --retries, --flaky N

EXIT STATUS
  0 stored (and, with --wait, every delivery succeeded); 1 a failure, a
  delivery that did not succeed, or an idempotency key already used for a
  different event (nothing stored; the same event again returns the first
  receipt, marked duplicate); 2 invalid input; 3 no enabled hook of P takes
  EVENT (said on stderr; --allow-no-hooks exits 0).
)"},
    {"deliveries", R"(runhooks deliveries - list deliveries, newest first

USAGE
  runhooks deliveries [--project P | --hook ID | --event ID] [--status pending|succeeded|failed]
                      [--limit N] [--json]

Shows each delivery's event type; --json prints the API's Delivery objects.
--limit is 1 to 10000 (default 100).
)"},
    {"attempts", R"(runhooks attempts - the attempts of one delivery, newest first

USAGE
  runhooks attempts DELIVERY_ID [--limit N] [--full] [--json]

Each attempt: start time, trigger (scheduled, manual or test), HTTP status,
error class (timeout, connect, dns, tls, blocked_by_policy, http_status),
duration, URL and error. --full adds the request as sent (custom header values
redacted) and the response as received; --json prints the API's Attempt objects.
)"},
    {"redeliver", R"(runhooks redeliver - send a delivery again

USAGE
  runhooks redeliver DELIVERY_ID [--wait SECONDS] [--allow-network CIDR]...
                     [--ca-file FILE] [--ca-path DIR] [--json]

Makes the delivery pending and due now, whatever its status; a worker sends
it with the same webhook-id, and records the attempt as manual. With --wait
this process sends it (and nothing else) and exits 0 only if it succeeded.
A delivery of a disabled hook is refused (exit 1): enable the hook first.
)"},
    {"recover", R"(runhooks recover - queue again what failed

USAGE
  runhooks recover --hook ID --since DATE-TIME [--json]

Queues again, as manual redeliveries, the hook's deliveries that failed for
good at or after --since (ISO-8601, e.g. 2026-11-30T00:00:00Z); prints how
many. A disabled hook is refused (exit 1).
)"},
    {"openapi", R"(runhooks openapi - the OpenAPI document

USAGE
  runhooks openapi

Prints the OpenAPI 3.0 document describing what `runhooks serve` (HttpApi)
serves, the same as GET /openapi.json.
)"},
    {"verify", R"(runhooks verify - check a Standard Webhooks signature

USAGE
  runhooks verify --secret whsec_... --id ID --timestamp TS [--signature SIG]
                  [--tolerance SECONDS] < body

Reads the body from stdin. With --signature (the webhook-signature header,
one or more space-separated v1,... entries), exits 0 and prints "valid" when
one matches and the timestamp is within --tolerance seconds of now (300),
else exits 1. Without it,
prints the signature the secret makes.
)"},
};

}  // namespace

const char* help_text(const std::string& command) {
  if (command.empty()) return kOverview;
  const auto space = command.find(' ');
  const std::string base = command.substr(0, space);
  const auto found = kHelp.find(base);
  if (found == kHelp.end()) return nullptr;
  if (space == std::string::npos) return found->second;
  // "hooks create": the group's text, if the group has that subcommand.
  static const std::map<std::string, std::set<std::string>> kSubcommands = {
      {"keys", {"create", "list", "revoke"}},
      {"hooks", {"create", "list", "get", "delete", "update", "secret", "rotate-secret", "enable", "disable", "test"}},
  };
  const auto subs = kSubcommands.find(base);
  const bool known = subs != kSubcommands.end() && subs->second.count(command.substr(space + 1)) != 0;
  return known ? found->second : nullptr;
}

}  // namespace runhooks::cli
