// quickstart: register a hook, notify, flush — end to end on this machine.
//
// Shows: a SQLite store, a hook pointing at a receiver this program starts on
// 127.0.0.1 (a real HTTP server from cpp-httplib), a Notifier that allows
// loopback (denied by default), RUN_START then RUN_FINISH of one run, and
// flush(). The receiver prints each delivery with its Standard Webhooks
// headers and checks the signature with runhooks::verify_webhook, as any
// receiver would with the hook's secret.
//
// Usage: quickstart [DB_FILE]   (default: a file in a fresh temporary directory)

#include <runhooks/runhooks.hpp>

#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace {

int fail(const runhooks::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
}

runhooks::RunEvent run_event(runhooks::EventType type) {
  runhooks::RunEvent event;
  event.type = type;
  event.run_url = "https://ci.example.com/run/950a13c3edf4f28b6e8ce301a404b4aa";
  event.build_id = "demo-build-cdx3314";
  event.commit.sha = "5a7edc9a156e417068060d67109021351fc7d9b8";
  event.commit.branch = "feature-A";
  event.commit.author_name = "John Doe";
  event.commit.author_email = "john@doe.com";
  event.commit.message = "feat: change button color";
  event.commit.remote_origin = "https://github.com/org/repo.git";
  event.commit.default_branch = "main";
  event.overall = 12;
  if (type == runhooks::EventType::run_finish) {
    event.passes = 11;
    event.failures = 1;
  }
  return event;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  if (argc > 1) {
    path = argv[1];
  } else {
    std::string dir = (std::filesystem::temp_directory_path() / "runhooks-quickstart-XXXXXX").string();
    path = std::string(mkdtemp(dir.data())) + "/runhooks.db";
  }

  // A receiver, as an n8n flow or your own service would be. Its secret is
  // filled in once the hook exists.
  std::mutex mutex;
  std::string secret;
  httplib::Server receiver;
  receiver.set_tcp_nodelay(true);
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    const auto verified = runhooks::verify_webhook(
        secret, req.get_header_value("webhook-id"), req.get_header_value("webhook-timestamp"),
        req.body, req.get_header_value("webhook-signature"), runhooks::Clock::system().now());
    std::printf("\n--- received %s %s\n", req.method.c_str(), req.path.c_str());
    for (const char* name : {"content-type", "user-agent", "x-timestamp", "webhook-id",
                             "webhook-timestamp", "webhook-signature", "x-team"}) {
      std::printf("%s: %s\n", name, req.get_header_value(name).c_str());
    }
    std::printf("body: %s\n", req.body.c_str());
    std::printf("signature: %s\n", verified ? "valid" : verified.error().message.c_str());
    res.status = verified ? 200 : 401;
  });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });

  auto store = runhooks::open_storage("sqlite:" + path);
  if (!store) return fail(store.error());
  runhooks::WebhookRegistry registry(*store);
  auto hook = registry.create("proj_demo", {"http://127.0.0.1:" + std::to_string(port) + "/hook",
                                            R"({"X-Team":"qa"})", "quickstart", {}});
  if (!hook) return fail(hook.error());
  {
    std::lock_guard lock(mutex);
    secret = hook->secret;
  }
  std::printf("hook %s -> %s (store %s)\n", hook->hook_id.c_str(), hook->url.c_str(), path.c_str());

  runhooks::NotifierOptions options;
  if (auto allowed = options.network.allow("127.0.0.0/8"); !allowed) return fail(allowed.error());
  runhooks::Notifier notifier(*store, options);
  for (auto type : {runhooks::EventType::run_start, runhooks::EventType::run_finish}) {
    auto receipt = notifier.notify("proj_demo", run_event(type));
    if (!receipt) return fail(receipt.error());
    std::printf("notified %s: event %s, %zu delivery(ies)\n", std::string(runhooks::to_string(type)).c_str(),
                receipt->event_id.c_str(), receipt->delivery_ids.size());
  }
  const auto flushed = notifier.flush(std::chrono::seconds(10));
  notifier.stop();
  receiver.stop();
  serving.join();

  const auto stats = notifier.stats();
  std::printf("\nflush: %s; %llu succeeded, %llu failed\n",
              flushed == runhooks::FlushResult::idle ? "idle" : "timed out",
              static_cast<unsigned long long>(stats.succeeded),
              static_cast<unsigned long long>(stats.failed));
  return stats.succeeded == 2 ? 0 : 1;
}
