// capture_graph on the GPU: a replay computes what plain evaluation of the same function
// computes (the same kernels, so bit for bit), earlier results never change, replays chain
// and pipeline, run from several threads, take strided inputs and inputs of other streams,
// and bad use is a clear error that leaves the stream usable.
#include "ember/core/capture.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/cuda/cuda_test_util.h"

namespace ember {
namespace {

using test::kCpu;
using test::kGpu;
using test::random_array;

std::vector<double> values_of(const array& a) { return test::host_values(a); }

void expect_bitwise(const array& got, const array& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  const auto g = values_of(got), w = values_of(want);
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_EQ(g[i], w[i]) << what << ": element " << i;
  }
}

// A transformer-block-shaped function: norm, projection, SwiGLU halves (views), softmax,
// a reduction, a transpose and a constant made inside the function.
struct Block {
  array norm_weight = copy(random_array({256}, bfloat16, 1, 0.5f, 1.5f), kGpu);
  array projection = copy(random_array({256, 512}, bfloat16, 2, -0.1f, 0.1f), kGpu);
  std::vector<array> operator()(const std::vector<array>& in) const {
    array h = matmul(fast::rms_norm(in[0], norm_weight, 1e-6f), projection);
    auto halves = split(h, 2, -1);
    array mixed = fast::swiglu(halves[0], halves[1]) * array(0.5f, bfloat16);
    array probs = softmax(astype(mixed, float32), -1, true);
    return {transpose(mixed), sum(probs * astype(in[1], float32), -1)};
  }
};

std::vector<array> inputs(unsigned seed) {
  return {copy(random_array({8, 256}, bfloat16, seed), kGpu),
          copy(random_array({8, 256}, float32, seed + 1), kGpu)};
}

TEST(CudaCapture, ReplaysMatchPlainEvaluationBitForBit) {
  EMBER_REQUIRE_GPU();
  const Block block;
  CapturedGraph graph = capture_graph(block, inputs(10));
  EXPECT_GE(graph.num_kernels(), 6u);
  for (unsigned seed = 20; seed < 40; seed += 2) {
    const auto x = inputs(seed);
    const auto replayed = graph(x);
    const auto plain = block(x);
    ASSERT_EQ(replayed.size(), 2u);
    expect_bitwise(replayed[0], plain[0], "mixed, seed " + std::to_string(seed));
    expect_bitwise(replayed[1], plain[1], "sums, seed " + std::to_string(seed));
  }
}

TEST(CudaCapture, EarlierResultsNeverChange) {
  EMBER_REQUIRE_GPU();
  const Block block;
  CapturedGraph graph = capture_graph(block, inputs(50));
  array first = graph(inputs(52))[1];
  first.eval();
  const auto before = values_of(first);
  array second = graph(inputs(54))[1];
  second.eval();
  EXPECT_EQ(values_of(first), before);
  EXPECT_NE(values_of(second), before);
}

TEST(CudaCapture, PipelinedChainOfReplaysMatchesThePlainLoop) {
  EMBER_REQUIRE_GPU();
  array w = copy(random_array({64, 64}, float32, 60, -0.2f, 0.2f), kGpu);
  auto step = [&](const std::vector<array>& in) {
    return std::vector<array>{tanh(matmul(in[0], w)) + in[0] * array(0.5f)};
  };
  CapturedGraph graph = capture_graph(step, {copy(random_array({4, 64}, float32, 61), kGpu)});
  const array start = copy(random_array({4, 64}, float32, 62), kGpu);
  array replayed = start, plain = start;
  for (int i = 0; i < 200; ++i) {
    replayed = graph({replayed})[0];  // never evaluated inside the loop
    plain = step({plain})[0];
    if (i % 50 == 0) plain.eval();
  }
  expect_bitwise(replayed, plain, "200 chained replays");
}

TEST(CudaCapture, ALongChainIsOneGraphOfAllItsKernels) {
  EMBER_REQUIRE_GPU();
  const array one = copy(random_array({16}, float32, 63), kGpu);  // lazy: closed over
  auto chain = [&](const std::vector<array>& in) {
    array y = in[0];
    for (int i = 0; i < 1000; ++i) y = add(y, one);
    return std::vector<array>{y};
  };
  // Deeper than the depth guard allows: the capture still holds all of it.
  const int64_t depth = get_max_graph_depth();
  set_max_graph_depth(100);
  CapturedGraph graph = capture_graph(chain, {copy(random_array({16}, float32, 64), kGpu)});
  set_max_graph_depth(depth);
  EXPECT_GE(graph.num_kernels(), 1000u);
  const array x = copy(random_array({16}, float32, 65), kGpu);
  array plain(0.0f);
  {
    detail::GraphDepthGuardOff off;
    plain = chain({x})[0];
  }
  expect_bitwise(graph({x})[0], plain, "1000 adds");
}

TEST(CudaCapture, StridedInputsAndInputsOfOtherStreams) {
  EMBER_REQUIRE_GPU();
  auto fn = [](const std::vector<array>& in) { return std::vector<array>{exp(in[0]) - in[0]}; };
  CapturedGraph graph = capture_graph(fn, {copy(random_array({6, 5}, float32, 70), kGpu)});
  const Stream other = new_stream(kGpu);
  array base = copy(random_array({5, 6}, float32, 71), other);
  array strided = transpose(multiply(base, base, other), {1, 0}, other);  // [6, 5], not contiguous
  expect_bitwise(graph({strided})[0], fn({contiguous(strided)})[0], "transposed input");
}

TEST(CudaCapture, ManyThreadsShareOneGraph) {
  EMBER_REQUIRE_GPU();
  const Block block;
  CapturedGraph graph = capture_graph(block, inputs(80));
  std::vector<std::vector<double>> got(8), want(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round) {
        const auto x = inputs(100 + 2 * t + 20 * round);
        got[t] = values_of(graph(x)[1]);
        want[t] = values_of(block(x)[1]);
        if (got[t] != want[t]) return;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(got[t], want[t]) << "thread " << t;
}

TEST(CudaCapture, BadUseIsAClearErrorAndTheStreamStaysUsable) {
  EMBER_REQUIRE_GPU();
  const Stream stream = new_stream(kGpu);
  const array x = copy(random_array({4}, float32, 90), kGpu);
  // An op on the CPU inside the function.
  try {
    capture_graph([](const std::vector<array>& in) { return std::vector<array>{exp(in[0], kCpu)}; },
                  {x}, stream);
    ADD_FAILURE() << "a CPU op was captured";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("[capture_graph] Exp runs on"), std::string::npos) << e.what();
  }
  try {
    capture_graph([](const std::vector<array>&) { return std::vector<array>{}; }, {x}, stream);
    ADD_FAILURE() << "an empty function was captured";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("returned no arrays"), std::string::npos) << e.what();
  }
  CapturedGraph graph = capture_graph(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * in[0]}; }, {x}, stream);
  try {
    graph({copy(random_array({5}, float32, 91), kGpu)});
    ADD_FAILURE() << "a wrong shape was accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("input 0 is (5) float32; the capture took (4)"),
              std::string::npos)
        << e.what();
  }
  // A CPU stream cannot capture at all.
  try {
    capture_graph([](const std::vector<array>& in) { return in; }, {x}, default_stream(kCpu));
    ADD_FAILURE() << "a CPU stream captured";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("needs a GPU stream"), std::string::npos) << e.what();
  }
  // The stream still evaluates and captures.
  const auto y = graph({x})[0];
  expect_bitwise(y, x * x, "after the errors");
  EXPECT_NO_THROW(synchronize(stream));
}

// A KV-cache-shaped state: each call writes its row at a position read on the device and
// returns a reduction over the rows so far (the rest masked off), as a decode step does.
struct RowCache {
  static constexpr int kCapacity = 16, kWidth = 8;
  std::vector<array> operator()(const std::vector<array>& in) const {
    const array& row = in[0];       // [1, kWidth] float32
    const array& position = in[1];  // int32 scalar
    array cache = update_state(in[2], row, position, {0});
    array valid = reshape(less_equal(arange(kCapacity, int32), position), {kCapacity, 1});
    array total = sum(where(valid, cache, array(0.0f)), 0);
    return {total, cache};
  }
};

std::vector<array> row_inputs(int position, unsigned seed) {
  return {copy(random_array({1, RowCache::kWidth}, float32, seed), kGpu), array(position, int32)};
}

TEST(CudaCaptureStates, ReplaysUpdateTheStateInPlaceCallAfterCall) {
  EMBER_REQUIRE_GPU();
  const RowCache step;
  auto examples = row_inputs(0, 1);
  examples.push_back(zeros({RowCache::kCapacity, RowCache::kWidth}, float32));
  CapturedGraph graph = capture_graph(step, examples, {}, 1);
  EXPECT_EQ(graph.num_states(), 1u);
  // Start from 3 known rows, then append 6 more, one per call.
  const array start_rows = copy(random_array({3, RowCache::kWidth}, float32, 50), kGpu);
  graph.write_state(0, start_rows);
  std::vector<array> rows{start_rows};
  std::vector<array> totals, reads;
  for (int position = 3; position < 9; ++position) {
    auto in = row_inputs(position, 60 + position);
    rows.push_back(in[0]);
    totals.push_back(graph(in)[0]);
    reads.push_back(graph.read_state(0));  // the state after this call, read later
  }
  for (size_t n = 0; n < totals.size(); ++n) {
    // Reference on the CPU: the sum of every row written so far.
    array so_far = concatenate(std::vector<array>(rows.begin(), rows.begin() + n + 2), 0);
    array want = sum(copy(so_far, kCpu), 0, false, kCpu);
    const auto got = values_of(totals[n]), expected = values_of(want);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], expected[i], 1e-5) << "call " << n << " element " << i;
    }
    // Each read is the state as it was right after its call, though evaluated after all.
    const auto state = values_of(reads[n]);
    const auto written = values_of(so_far);
    for (size_t i = 0; i < written.size(); ++i) ASSERT_EQ(state[i], written[i]) << "read " << n;
  }
}

TEST(CudaCaptureStates, CallsRunInTheOrderMadeWhateverIsEvaluatedFirst) {
  EMBER_REQUIRE_GPU();
  const RowCache step;
  auto examples = row_inputs(0, 1);
  examples.push_back(zeros({RowCache::kCapacity, RowCache::kWidth}, float32));
  CapturedGraph graph = capture_graph(step, examples, {}, 1);
  graph.write_state(0, zeros({RowCache::kCapacity, RowCache::kWidth}, float32));
  auto a = row_inputs(0, 71), b = row_inputs(1, 72);
  array first = graph(a)[0];
  array second = graph(b)[0];
  eval(second);  // needs the first call's row: the first call ran before it
  const auto got = values_of(second);
  const auto ra = values_of(a[0]), rb = values_of(b[0]);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], ra[i] + rb[i], 1e-6);
  const auto got_first = values_of(first);
  for (size_t i = 0; i < got_first.size(); ++i) EXPECT_EQ(got_first[i], ra[i]);
}

TEST(CudaCaptureStates, MisorderedReadsAndWrongStateOutputsAreValueErrors) {
  EMBER_REQUIRE_GPU();
  auto examples = row_inputs(0, 1);
  examples.push_back(zeros({RowCache::kCapacity, RowCache::kWidth}, float32));
  auto expect_error = [&](const std::function<std::vector<array>(const std::vector<array>&)>& fn,
                          const std::string& message) {
    try {
      capture_graph(fn, examples, {}, 1);
      ADD_FAILURE() << "captured: " << message;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  // The old value read by an op the update does not wait for.
  expect_error([](const std::vector<array>& in) {
    array old_total = sum(in[2], 0);
    array cache = update_state(in[2], in[0], in[1], {0});
    return std::vector<array>{old_total + sum(cache, 0), cache};
  }, "reads a state value that a later update_state overwrites");
  // The state output is not the state.
  expect_error([](const std::vector<array>& in) {
    array cache = update_state(in[2], in[0], in[1], {0});
    return std::vector<array>{sum(cache, 0), cache + array(1.0f)};
  }, "must be the last value of state 0");
  // Two updates of one value.
  expect_error([](const std::vector<array>& in) {
    array a = update_state(in[2], in[0], in[1], {0});
    array b = update_state(in[2], in[0], in[1], {0});
    return std::vector<array>{sum(a, 0), b};
  }, "updated twice");
  // The stream still works, and a good capture succeeds after the failures.
  CapturedGraph graph = capture_graph(RowCache{}, examples, {}, 1);
  EXPECT_THROW(graph.write_state(0, zeros({RowCache::kCapacity + 1, RowCache::kWidth}, float32)), ValueError);
  EXPECT_THROW(graph.read_state(1), ValueError);
  EXPECT_THROW(graph(examples), ValueError);  // the state is not an input of a call
}

}  // namespace
}  // namespace ember
