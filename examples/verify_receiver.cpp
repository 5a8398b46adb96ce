// verify_receiver: a receiver in C++ that accepts only signed deliveries.
//
// Shows: checking the Standard Webhooks headers with runhooks::verify_webhook
// (constant-time comparison, 5-minute timestamp tolerance, every signature of
// a rotation accepted), refusing anything else with 401, and using
// webhook-id as the idempotency key so a redelivery is not processed twice.
// Run without arguments it sends itself one genuine and one forged delivery.
//
// Usage: verify_receiver [SECRET]   (whsec_...; default: a demo secret)

#include <runhooks/runhooks.hpp>

#include <httplib.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

int main(int argc, char** argv) {
  const std::string secret = argc > 1 ? argv[1] : "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  std::mutex mutex;
  std::set<std::string> seen;  // webhook-ids already processed

  httplib::Server receiver;
  receiver.set_tcp_nodelay(true);
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.get_header_value("webhook-id");
    auto ok = runhooks::verify_webhook(secret, id, req.get_header_value("webhook-timestamp"), req.body,
                                       req.get_header_value("webhook-signature"), runhooks::Clock::system().now());
    if (!ok) {
      std::printf("refused %s: %s\n", id.c_str(), ok.error().message.c_str());
      res.status = 401;
      return;
    }
    std::lock_guard lock(mutex);
    if (!seen.insert(id).second) {
      std::printf("duplicate %s: already processed\n", id.c_str());
    } else {
      std::printf("accepted %s: %s\n", id.c_str(), req.body.c_str());
    }
    res.status = 204;  // any 2xx tells runhooks it arrived
  });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });

  // Play runhooks: sign a body as it would, send it twice, then a forgery.
  const std::string body = R"({"event":"RUN_FINISH","runUrl":"https://ci.example.com/run/1"})";
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       runhooks::Clock::system().now().time_since_epoch()).count();
  auto signature = runhooks::sign_webhook(secret, "msg_demo", now, body);
  httplib::Client client("127.0.0.1", port);
  httplib::Headers headers = {{"webhook-id", "msg_demo"}, {"webhook-timestamp", std::to_string(now)},
                              {"webhook-signature", signature.value_or("")}};
  const auto first = client.Post("/hook", headers, body, "application/json");
  const auto again = client.Post("/hook", headers, body, "application/json");
  headers.erase("webhook-signature");
  headers.emplace("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  const auto forged = client.Post("/hook", headers, body, "application/json");
  receiver.stop();
  serving.join();
  const bool as_expected = first && first->status == 204 && again && again->status == 204 && forged &&
                           forged->status == 401;
  std::printf("%s\n", as_expected ? "genuine accepted once, forgery refused" : "unexpected answers");
  return as_expected ? 0 : 1;
}
