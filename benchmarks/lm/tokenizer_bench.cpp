// Tokenizer throughput: MB/s of encode on one core, for the fixture tokenizers
// (or any model folders), on a text file such as the King James Bible:
//
//   bible -f "Gen1:1-Rev22:21" | cut -d' ' -f2- > /tmp/kjv.txt
//   build/bin/tokenizer_bench /tmp/kjv.txt [MODEL_DIR...]
//
// Two modes: the whole file in one call, and one call per line (prompt-sized
// pieces). Median of 5 timed runs after a warm-up run. Each line also prints
// an id checksum that benchmarks/lm/tokenizer_peer.py compares with HF's.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ember/lm/tokenizer/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

// FNV-1a over the ids, the same in tokenizer_peer.py.
uint64_t checksum(const std::vector<int32_t>& ids, uint64_t hash) {
  for (int32_t id : ids) {
    hash ^= static_cast<uint32_t>(id);
    hash *= 1099511628211ULL;
  }
  return hash;
}

template <class F>
double median_seconds(F&& run) {
  run();  // warm-up: fills the BPE cache, as in a long-running process
  std::vector<double> times;
  for (int i = 0; i < 5; ++i) {
    auto start = Clock::now();
    run();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s TEXT_FILE [MODEL_DIR...]\n", argv[0]);
    return 2;
  }
  std::ifstream file(argv[1], std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }

  std::vector<std::filesystem::path> models;
  for (int i = 2; i < argc; ++i) models.emplace_back(argv[i]);
  if (models.empty()) {
    auto fixtures = std::filesystem::path(EMBER_SOURCE_DIR) / "tests/lm/fixtures/tokenizers";
    for (const char* style : {"qwen3", "llama3", "gpt2", "llama2", "mistral"}) {
      models.push_back(fixtures / style);
    }
  }
  const double megabytes = static_cast<double>(text.size()) / 1e6;
  std::printf("%-10s %-6s %10s %10s %20s\n", "model", "mode", "MB/s", "ids", "checksum");
  for (const auto& model : models) {
    auto tokenizer = ember::lm::Tokenizer::from_file(model / "tokenizer.json");
    std::string name = model.filename().string();
    const ember::lm::EncodeOptions options{.add_special_tokens = false};

    std::vector<int32_t> ids;
    double whole = median_seconds([&] { ids = tokenizer.encode(text, options); });
    std::printf("%-10s %-6s %10.2f %10zu %20llu\n", name.c_str(), "whole", megabytes / whole,
                ids.size(), static_cast<unsigned long long>(checksum(ids, 1469598103934665603ULL)));

    size_t count = 0;
    uint64_t hash = 1469598103934665603ULL;
    double per_line = median_seconds([&] {
      count = 0;
      hash = 1469598103934665603ULL;
      for (const auto& line : lines) {
        auto line_ids = tokenizer.encode(line, options);
        count += line_ids.size();
        hash = checksum(line_ids, hash);
      }
    });
    std::printf("%-10s %-6s %10.2f %10zu %20llu\n", name.c_str(), "lines", megabytes / per_line,
                count, static_cast<unsigned long long>(hash));
  }
  return 0;
}
