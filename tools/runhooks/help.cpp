// The --help texts.

#include "cli.hpp"

#include <map>

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
  verify             check a Standard Webhooks signature, as a receiver would
  openapi            print the OpenAPI 3 document of the management API

Every command that prints data takes --json and then prints one JSON document.
Errors go to stderr. Exit status: 0 success, 1 failure, 2 bad usage or invalid input.
`runhooks COMMAND --help` describes a command.
)";

const std::map<std::string, const char*> kHelp = {
    {"serve", R"(runhooks serve - the management API over HTTP

USAGE
  runhooks serve [--listen HOST:PORT] [--threads N] [--no-worker] [--allow-network CIDR]...
                 [--concurrency N] [--lease SECONDS] [--retention-days N]
                 [--max-connections N] [--header-timeout SECONDS] [--request-timeout SECONDS]
                 [--idle-timeout SECONDS]

Serves GET/POST /webhooks?projectId=P, GET/PUT/DELETE /webhooks/{hookId},
GET /webhooks/{hookId}/secret, POST /webhooks/{hookId}/secret/rotate and
GET /openapi.json, with Bearer API keys (see `runhooks keys`). The first line
printed is `listening on http://HOST:PORT`.

OPTIONS
  --listen HOST:PORT     address to bind (default 127.0.0.1:8080; port 0 picks a free one)
  --threads N            threads running the API (default 8); sockets have a thread of their own
  --no-worker            do not deliver events in this process
  --allow-network CIDR   open a subnet the delivery network policy denies (e.g. 127.0.0.0/8);
                         repeatable
  --concurrency N, --lease SECONDS, --retention-days N
                         the in-process worker's, as for `runhooks worker`
  --max-connections N    open connections at most (default 1024); when full, a new one
                         pushes out the one that has waited longest for its request
  --header-timeout SECONDS   a request's line and headers must arrive within (default 10)
  --request-timeout SECONDS  and the whole request within (default 30)
  --idle-timeout SECONDS     a connection silent this long is closed (default 5)

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
  runhooks worker [--allow-network CIDR]... [--concurrency N] [--lease SECONDS]
                  [--retention-days N] [--metrics-listen HOST:PORT]

Claims due deliveries from the store, sends them (signed, with retries) until
SIGTERM or SIGINT, then drains what is in flight (10 s) and gives back the
rest. Several workers, in one or many processes, on one or many hosts (with a
postgresql:// store), share a store safely.

OPTIONS
  --allow-network CIDR   open a subnet the network policy denies; repeatable
  --concurrency N        requests in flight at once (default 256)
  --lease SECONDS        how long a claimed delivery is this worker's (default
                         60); what a killed worker held is taken over after it
  --retention-days N     events are deleted, with their deliveries and attempts,
                         N days after their last delivery finished, and attempts
                         N days after they were made (default 30; 0 keeps all)
  --metrics-listen HOST:PORT
                         also serve GET /metrics (Prometheus text; a bearer key
                         for all projects) and GET /healthz on this address
)"},
    {"keys", R"(runhooks keys - API keys of the management API

USAGE
  runhooks keys create (--project P)... | --all-projects [--read-only] [--label TEXT] [--json]
  runhooks keys list [--json]
  runhooks keys revoke KEY_ID [--json]

create prints the key once (store it: only its SHA-256 is kept). A key reaches
the projects given (or all), read-write unless --read-only. --json prints
{"keyId":...,"key":...}.
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

Events: RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED; none means all.
--headers is a JSON object string, e.g. '{"Authorization":"Bearer t"}'.
--json prints the wire-format Webhook object (an array for list).
)"},
    {"fire", R"(runhooks fire - notify a run event

USAGE
  runhooks fire EVENT --project P [--payload FILE|-] [--idempotency-key K] [--wait SECONDS]
                [--allow-network CIDR]... [--json]

Stores EVENT (RUN_START, RUN_FINISH, RUN_TIMEOUT, RUN_CANCELED) for every
enabled hook of project P that takes it. The payload (a JSON object, the
wire-format run payload; "event" is set from EVENT) comes from FILE or stdin.
Without --wait the event is only stored: `runhooks worker` or `serve` delivers
it. With --wait N this process delivers, waits up to N seconds, prints each
delivery's outcome and exits 0 only if every delivery succeeded.
)"},
    {"deliveries", R"(runhooks deliveries - list deliveries, newest first

USAGE
  runhooks deliveries [--project P | --hook ID | --event ID] [--status pending|succeeded|failed]
                      [--limit N] [--json]
)"},
    {"attempts", R"(runhooks attempts - the attempts of one delivery, newest first

USAGE
  runhooks attempts DELIVERY_ID [--json]

Each attempt: start time, trigger (scheduled or manual), HTTP status, error
class (timeout, connect, dns, tls, blocked_by_policy, http_status), duration,
and with --json the first bytes of the answer.
)"},
    {"redeliver", R"(runhooks redeliver - send a delivery again

USAGE
  runhooks redeliver DELIVERY_ID [--json]

Makes the delivery pending and due now, whatever its status; a worker sends
it with the same webhook-id, and records the attempt as manual.
)"},
    {"openapi", R"(runhooks openapi - the OpenAPI document

USAGE
  runhooks openapi

Prints the OpenAPI 3.0 document describing what `runhooks serve` (HttpApi)
serves, the same as GET /openapi.json.
)"},
    {"verify", R"(runhooks verify - check a Standard Webhooks signature

USAGE
  runhooks verify --secret whsec_... --id ID --timestamp TS [--signature SIG] < body

Reads the body from stdin. With --signature (the webhook-signature header,
one or more space-separated v1,... entries), exits 0 and prints "valid" when
one matches and the timestamp is within 5 minutes, else exits 1. Without it,
prints the signature the secret makes.
)"},
};

}  // namespace

const char* help_text(const std::string& command) {
  const std::string base = command.substr(0, command.find(' '));
  const auto found = kHelp.find(base);
  return found == kHelp.end() ? kOverview : found->second;
}

}  // namespace runhooks::cli
