// Registry throughput on a SQLite file (issue 2's targets: get >= 200k/s,
// create >= 20k/s, list of a 100-hook project >= 10k/s). Each benchmark gets
// a fresh database in a temporary directory.

#include <runhooks/runhooks.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

// A fresh SQLite store in its own directory, removed afterwards.
class BenchStore {
 public:
  BenchStore() {
    std::string pattern = (std::filesystem::temp_directory_path() / "runhooks-bench-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    store_ = runhooks::open_storage("sqlite:" + dir_ + "/bench.db").value();
  }
  ~BenchStore() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::shared_ptr<runhooks::Storage> store() const { return store_; }

 private:
  std::string dir_;
  std::shared_ptr<runhooks::Storage> store_;
};

runhooks::NewWebhook sample_request(int i) {
  return runhooks::NewWebhook{"https://hooks.example.com/ci/" + std::to_string(i),
                              R"({"Authorization":"Bearer 0123456789abcdef"})",
                              "hook " + std::to_string(i),
                              {runhooks::EventType::run_finish}};
}

void BM_RegistryGet(benchmark::State& state) {
  BenchStore bench;
  runhooks::WebhookRegistry registry(bench.store());
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(registry.create("proj_" + std::to_string(i / 100), sample_request(i))->hook_id);
  }
  std::mt19937 rng(42);
  for (auto _ : state) {
    auto hook = registry.get(ids[rng() % ids.size()]);
    if (!hook) state.SkipWithError(hook.error().message.c_str());
    benchmark::DoNotOptimize(hook);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegistryGet)->UseRealTime();

void BM_RegistryCreate(benchmark::State& state) {
  BenchStore bench;
  runhooks::WebhookRegistry registry(bench.store());
  int i = 0;
  for (auto _ : state) {
    // 100 hooks per project: the default cap.
    auto hook = registry.create("proj_" + std::to_string(i / 100), sample_request(i));
    if (!hook) state.SkipWithError(hook.error().message.c_str());
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegistryCreate)->UseRealTime();

void BM_RegistryList100(benchmark::State& state) {
  BenchStore bench;
  runhooks::WebhookRegistry registry(bench.store());
  for (int i = 0; i < 100; ++i) (void)registry.create("proj_big", sample_request(i));
  for (int i = 0; i < 500; ++i) (void)registry.create("proj_other_" + std::to_string(i / 100), sample_request(i));
  for (auto _ : state) {
    auto hooks = registry.list("proj_big");
    if (!hooks || hooks->size() != 100) state.SkipWithError("list did not return 100 hooks");
    benchmark::DoNotOptimize(hooks);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegistryList100)->UseRealTime();

void BM_RegistryUpdate(benchmark::State& state) {
  BenchStore bench;
  runhooks::WebhookRegistry registry(bench.store());
  const std::string id = registry.create("proj", sample_request(0))->hook_id;
  int i = 0;
  for (auto _ : state) {
    runhooks::WebhookPatch patch;
    patch.label.set("label " + std::to_string(i++));
    auto hook = registry.update(id, patch);
    if (!hook) state.SkipWithError(hook.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegistryUpdate)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
