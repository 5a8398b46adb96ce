// Standard Webhooks signatures, retry policy and network policy: the pure parts.

#include <runhooks/runhooks.hpp>

#include <catch2/catch.hpp>

using namespace runhooks;
using namespace std::chrono_literals;

namespace {
const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const std::string kBody = R"({"test": 2432232314})";
const Timestamp kAt = Timestamp(1614265330000ms);
}  // namespace

TEST_CASE("the published Standard Webhooks test vector", "[signing]") {
  auto signature = sign_webhook(kSecret, kId, 1614265330, kBody);
  REQUIRE(signature);
  CHECK(*signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // The prefix is optional, as in the reference libraries.
  CHECK(*sign_webhook(kSecret.substr(6), kId, 1614265330, kBody) == *signature);
  CHECK(verify_webhook(kSecret, kId, "1614265330", kBody, *signature, kAt));
}

TEST_CASE("verification refuses what a receiver must refuse", "[signing]") {
  const std::string good = *sign_webhook(kSecret, kId, 1614265330, kBody);
  CHECK_FALSE(verify_webhook(kSecret, kId, "1614265330", kBody + " ", good, kAt));
  CHECK_FALSE(verify_webhook(kSecret, "msg_other", "1614265330", kBody, good, kAt));
  CHECK_FALSE(verify_webhook("whsec_" + std::string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), kId,
                             "1614265330", kBody, good, kAt));
  auto stale = verify_webhook(kSecret, kId, "1614265330", kBody, good, kAt + 5min + 1s);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().message == "timestamp too old");
  CHECK(verify_webhook(kSecret, kId, "1614265330", kBody, good, kAt + 5min));
  CHECK(verify_webhook(kSecret, kId, "1614265330", kBody, good, kAt - 5min));
  CHECK(verify_webhook(kSecret, kId, "1614265330", kBody, good, kAt - 5min - 1s).error().message ==
        "timestamp too new");
  CHECK_FALSE(verify_webhook(kSecret, kId, "16142653x0", kBody, good, kAt));
  CHECK_FALSE(verify_webhook(kSecret, kId, "1614265330", kBody, "v2," + good.substr(3), kAt));
  CHECK_FALSE(verify_webhook(kSecret, kId, "1614265330", kBody, "", kAt));
  CHECK(sign_webhook("whsec_not base64!", kId, 1, kBody).error().field == "secret");
}

TEST_CASE("during a rotation every secret signs and each verifies", "[signing]") {
  const std::string other = "whsec_" + std::string("c2Vjb25kIHNlY3JldCBrZXkgZm9yIHJvdGF0aW9uIQ==");
  auto header = signature_header({kSecret, other}, kId, 1614265330, kBody);
  REQUIRE(header);
  CHECK(header->find(' ') != std::string::npos);
  CHECK(header->rfind("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,", 0) == 0);
  CHECK(verify_webhook(kSecret, kId, "1614265330", kBody, *header, kAt));
  CHECK(verify_webhook(other, kId, "1614265330", kBody, *header, kAt));
}

TEST_CASE("the default retry schedule is Svix's, jittered by 20 %", "[retry]") {
  RetryPolicy policy;
  REQUIRE(policy.schedule.size() == 7);
  CHECK(policy.next_delay(1, std::nullopt, 0.5) == std::chrono::milliseconds(5000));
  CHECK(policy.next_delay(1, std::nullopt, 0.0) == std::chrono::milliseconds(4000));
  CHECK(policy.next_delay(1, std::nullopt, 0.999999) == std::chrono::milliseconds(5999));
  CHECK(policy.next_delay(2, std::nullopt, 0.5) == std::chrono::milliseconds(5min));
  CHECK(policy.next_delay(7, std::nullopt, 0.5) == std::chrono::milliseconds(10h));
  CHECK_FALSE(policy.next_delay(8, std::nullopt, 0.5));
  CHECK_FALSE(policy.next_delay(0, std::nullopt, 0.5));
}

TEST_CASE("Retry-After is honoured within 1-2x the scheduled delay", "[retry]") {
  RetryPolicy policy;
  CHECK(policy.next_delay(1, std::chrono::milliseconds(7000), 0.0) == std::chrono::milliseconds(7000));
  CHECK(policy.next_delay(1, std::chrono::milliseconds(1000), 0.0) == std::chrono::milliseconds(5000));
  CHECK(policy.next_delay(1, std::chrono::milliseconds(3600000), 0.0) == std::chrono::milliseconds(10000));
  policy.schedule = {100ms};
  CHECK(policy.next_delay(1, std::nullopt, 0.5) == 100ms);
  CHECK_FALSE(policy.next_delay(2, std::nullopt, 0.5));
}

TEST_CASE("the network policy denies internal ranges in every form", "[policy]") {
  const NetworkPolicy policy;
  const std::pair<const char*, const char*> denied[] = {
      {"127.0.0.1", "127.0.0.1 is loopback (127.0.0.0/8)"},
      {"127.255.0.9", "loopback"},
      {"10.1.2.3", "private (10.0.0.0/8)"},
      {"172.16.0.1", "private (172.16.0.0/12)"},
      {"172.31.255.255", "private (172.16.0.0/12)"},
      {"192.168.1.1", "private (192.168.0.0/16)"},
      {"169.254.169.254", "link-local (169.254.0.0/16)"},
      {"100.64.0.1", "CGNAT (100.64.0.0/10)"},
      {"0.0.0.0", "unspecified"},
      {"224.0.0.1", "multicast"},
      {"255.255.255.255", "broadcast"},
      {"::1", "::1 is loopback (::1/128)"},
      {"::", "unspecified"},
      {"fc00::1", "unique local"},
      {"fd12:3456::1", "unique local"},
      {"fe80::1", "link-local"},
      {"ff02::1", "multicast"},
      {"::ffff:127.0.0.1", "loopback (127.0.0.0/8)"},
      {"::ffff:169.254.169.254", "link-local"},
      {"::127.0.0.1", "IPv4-compatible loopback"},
      {"64:ff9b::a00:1", "NAT64 private (10.0.0.0/8)"},
      {"2002:7f00:1::", "6to4 loopback"},
      {"2002:a9fe:a9fe::1", "6to4 link-local"},
      {"not-an-ip", "not an IP address"},
  };
  for (const auto& [address, reason] : denied) {
    INFO(address);
    const auto denial = policy.denial(address);
    REQUIRE(denial);
    CHECK_THAT(*denial, Catch::Contains(reason));
  }
  for (const char* address : {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1",
                              "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::"}) {
    INFO(address);
    CHECK_FALSE(policy.denial(address));
  }
}

TEST_CASE("an allow-list opens subnets, also through mapped forms", "[policy]") {
  NetworkPolicy policy;
  REQUIRE(policy.allow("127.0.0.0/8"));
  REQUIRE(policy.allow("fd00::/8"));
  CHECK_FALSE(policy.denial("127.0.0.1"));
  CHECK_FALSE(policy.denial("::ffff:127.0.0.1"));
  CHECK_FALSE(policy.denial("fd00::5"));
  CHECK(policy.denial("10.0.0.1"));
  CHECK(policy.denial("::1"));
  REQUIRE(policy.allow("10.0.0.7"));
  CHECK_FALSE(policy.denial("10.0.0.7"));
  CHECK(policy.denial("10.0.0.8"));
  for (const char* bad : {"", "127.0.0.0/33", "::/129", "1.2.3/8", "127.0.0.0/", "127.0.0.0/x", "localhost"}) {
    INFO(bad);
    auto r = policy.allow(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "cidr");
  }
  CHECK_FALSE(NetworkPolicy::allow_all().denial("127.0.0.1"));
}

TEST_CASE("a secret that is not base64 is refused, however leniently OpenSSL reads it (found by fuzzing)",
          "[signing]") {
  // EVP_DecodeBlock takes '=' anywhere and blanks around the text.
  for (const char* secret : {"whsec_====", "whsec_=AAA", "whsec_AB=A", "whsec_c2VjcmV0    ", "    c2VjcmV0"}) {
    INFO(secret);
    auto signed_with = sign_webhook(secret, kId, 1614265330, kBody);
    REQUIRE_FALSE(signed_with);
    CHECK(signed_with.error().field == "secret");
    CHECK_FALSE(verify_webhook(secret, kId, "1614265330", kBody, "v1,", kAt));
  }
  CHECK(sign_webhook("whsec_c2VjcmV0", kId, 1614265330, kBody));
  CHECK(sign_webhook("whsec_c2VjcmV0Lg==", kId, 1614265330, kBody));
  CHECK(sign_webhook("c2VjcmV0Lgo=", kId, 1614265330, kBody));
}
