// runhooks verify --secret whsec_... --id ID --timestamp TS [--signature SIG] [--tolerance SECONDS] < body
// runhooks openapi: print the OpenAPI document of the management API

#include "cli.hpp"

#include <cstdio>
#include <iostream>
#include <iterator>

namespace runhooks::cli {

namespace {

struct VerifyOptions {
  std::string secret, id, timestamp, signature;
  bool has_signature = false;
  std::int64_t tolerance_seconds = 300;
};

int verify(const VerifyOptions& o) {
  const std::string body(std::istreambuf_iterator<char>(std::cin), {});
  if (!o.has_signature) {
    // Without --signature, print the signature this secret makes (for tests and scripts).
    if (o.timestamp.empty() || o.timestamp.find_first_not_of("0123456789") != std::string::npos ||
        o.timestamp.size() > 18) {
      throw UsageError("--timestamp must be integer unix seconds");
    }
    auto made = sign_webhook(o.secret, o.id, std::stoll(o.timestamp), body);
    if (!made) return report(made.error());
    std::printf("%s\n", made->c_str());
    return kOk;
  }
  auto verified = verify_webhook(o.secret, o.id, o.timestamp, body, o.signature, Clock::system().now(),
                                 std::chrono::seconds(o.tolerance_seconds));
  if (!verified) {
    std::fprintf(stderr, "invalid: %s\n", verified.error().message.c_str());
    return kFailed;
  }
  std::printf("valid\n");
  return kOk;
}

}  // namespace

void add_verify_commands(CLI::App& app, const Context&, Run& run) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* verify_app = app.add_subcommand("verify", "check a Standard Webhooks signature, as a receiver would");
  verify_app->add_option("--secret", o->secret, "the hook's whsec_ secret")->required();
  verify_app->add_option("--id", o->id, "the webhook-id header")->required();
  verify_app->add_option("--timestamp", o->timestamp, "the webhook-timestamp header")->required();
  auto* signature = verify_app->add_option("--signature", o->signature, "the webhook-signature header");
  add_number(*verify_app, "--tolerance", o->tolerance_seconds, 0, 86400 * 365,
             "how far the timestamp may be from now, in seconds (default 300)");
  verify_app->callback([&run, o, signature] {
    o->has_signature = signature->count() > 0;
    run = [o] { return verify(*o); };
  });

  CLI::App* openapi = app.add_subcommand("openapi", "print the OpenAPI 3 document of the management API");
  openapi->callback([&run] {
    run = [] {
      std::printf("%s\n", openapi_document().c_str());
      return kOk;
    };
  });
}

}  // namespace runhooks::cli
