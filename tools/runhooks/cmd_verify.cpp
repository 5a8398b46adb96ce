// runhooks verify --secret whsec_... --id ID --timestamp TS [--signature SIG] < body
// runhooks openapi: print the OpenAPI document of the management API

#include "cli.hpp"

#include <cstdio>
#include <iostream>
#include <iterator>

namespace runhooks::cli {

int run_verify(const Context&, const std::vector<std::string>& argv) {
  const Args args(argv, {"secret", "id", "timestamp", "signature"}, {});
  args.at_most(0);
  const std::string secret = args.required("secret");
  const std::string id = args.required("id");
  const std::string timestamp = args.required("timestamp");
  const std::string body(std::istreambuf_iterator<char>(std::cin), {});
  std::string signature;
  if (auto given = args.value("signature")) {
    signature = *given;
  } else {
    // Without --signature, print the signature this secret makes (for tests and scripts).
    if (timestamp.empty() || timestamp.find_first_not_of("0123456789") != std::string::npos) {
      throw UsageError("--timestamp must be integer unix seconds");
    }
    auto made = sign_webhook(secret, id, std::stoll(timestamp), body);
    if (!made) return report(made.error());
    std::printf("%s\n", made->c_str());
    return kOk;
  }
  auto verified = verify_webhook(secret, id, timestamp, body, signature, Clock::system().now());
  if (!verified) {
    std::fprintf(stderr, "invalid: %s\n", verified.error().message.c_str());
    return kFailed;
  }
  std::printf("valid\n");
  return kOk;
}

int run_openapi(const Context&, const std::vector<std::string>& argv) {
  Args(argv, {}, {}).at_most(0);
  std::printf("%s\n", openapi_document().c_str());
  return kOk;
}

}  // namespace runhooks::cli
