// The LM golden tests on the GPU: every fixture architecture (tests/lm/fixtures/models) run
// with the GPU as the default device, float32 compute: logits against transformers' float32
// reference within the fixture's tolerances, and 32-token greedy continuations identical.
// Also bf16 compute on the GPU against the same reference, judged as the fixture suggests
// (argmax agreement and mean error near transformers' own bf16 run).
#include "cuda_test_util.h"

#include "../lm/engine_fixtures.h"
#include "ember/lm/engine/generate.h"
#include "ember/lm/models/model.h"

namespace ember::test {
namespace {

using lm::testing::fixture_archs;
using lm::testing::golden_json;
using lm::testing::json_ints;
using lm::testing::model_fixture;

class CudaGolden : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (device_count(Device::gpu) == 0) GTEST_SKIP() << "no CUDA device present: GPU test skipped";
    previous_ = default_device();
    set_default_device(kGpu);
  }
  void TearDown() override {
    if (previous_) set_default_device(*previous_);
  }
  std::optional<Device> previous_;
};

TEST_P(CudaGolden, Float32LogitsAndGreedyMatchTransformers) {
  const std::string arch = GetParam();
  auto golden = golden_json(arch);
  auto reference = load_safetensors((model_fixture(arch) / "golden.safetensors").string(), kCpu).first;
  auto model = lm::load_model(model_fixture(arch), {.dtype = float32});
  auto tokenizer = lm::Tokenizer::from_file(model_fixture(arch) / "tokenizer.json");
  const double atol = golden["tolerance"]["float32"]["atol"].get<double>();
  const double rtol = golden["tolerance"]["float32"]["rtol"].get<double>();
  for (const auto& prompt : golden["prompts"]) {
    auto ids = json_ints<int32_t>(prompt["ids"]);
    auto caches = model->make_caches();
    array logits = model->forward(array(ids.begin(), {1, int(ids.size())}, int32), caches);
    array expected = reference.at(prompt["logits_key"].get<std::string>());
    array actual = astype(reshape(logits, expected.shape()), float32, kCpu);
    array excess = subtract(abs(subtract(actual, expected, kCpu), kCpu),
                            add(array(float(atol)), multiply(array(float(rtol)), abs(expected, kCpu), kCpu), kCpu), kCpu);
    EXPECT_LE(max(excess, false, kCpu).item<float>(), 0.0f) << arch << " " << prompt["name"];

    auto greedy_caches = model->make_caches();
    lm::GenerationOptions options;
    auto expected_ids = json_ints<int32_t>(prompt["greedy_ids"]);
    options.max_tokens = static_cast<int>(expected_ids.size());
    options.prefill_step_size = 7;
    auto result = lm::generate(*model, tokenizer, ids, greedy_caches, options);
    EXPECT_EQ(result.tokens, expected_ids) << arch << " " << prompt["name"];
  }
}

TEST_P(CudaGolden, Bfloat16AgreesLikeTransformersOwnBf16Run) {
  const std::string arch = GetParam();
  auto golden = golden_json(arch);
  auto reference = load_safetensors((model_fixture(arch) / "golden.safetensors").string(), kCpu).first;
  auto model = lm::load_model(model_fixture(arch), {.dtype = bfloat16});
  const auto& hf = golden["hf_lowprec_vs_fp32"]["bfloat16"];
  double agree = 0, rows = 0, abs_sum = 0, count = 0;
  for (const auto& prompt : golden["prompts"]) {
    auto ids = json_ints<int32_t>(prompt["ids"]);
    auto caches = model->make_caches();
    array logits = model->forward(array(ids.begin(), {1, int(ids.size())}, int32), caches);
    array expected = reference.at(prompt["logits_key"].get<std::string>());
    array actual = astype(reshape(logits, expected.shape()), float32, kCpu);
    agree += sum(astype(equal(argmax(actual, -1, false, kCpu), argmax(expected, -1, false, kCpu), kCpu),
                        float32, kCpu), false, kCpu).item<float>();
    rows += expected.shape(0);
    abs_sum += sum(abs(subtract(actual, expected, kCpu), kCpu), false, kCpu).item<float>();
    count += expected.size();
  }
  EXPECT_GE(agree / rows, hf["argmax_agreement"].get<double>() - 0.15) << arch;
  EXPECT_LE(abs_sum / count, 3.0 * hf["mean_abs"].get<double>()) << arch;
}

// Note [Decode segments]: the captured block tails replay the kernels plain ops launch, so
// decode logits are the same bit for bit, step after step (cache reads included).
TEST_P(CudaGolden, DecodeSegmentsGiveThePlainOpsLogitsBitForBit) {
  const std::string arch = GetParam();
  auto golden = golden_json(arch);
  auto graphs = lm::load_model(model_fixture(arch), {.dtype = bfloat16, .step_graphs = false});
  auto plain = lm::load_model(model_fixture(arch), {.dtype = bfloat16, .decode_graphs = false});
  auto ids = json_ints<int32_t>(golden["prompts"][0]["ids"]);
  auto graph_caches = graphs->make_caches(), plain_caches = plain->make_caches();
  const array prompt(ids.begin(), {1, int(ids.size())}, int32);
  array a = graphs->forward(prompt, graph_caches), b = plain->forward(prompt, plain_caches);
  for (int step = 0; step < 6; ++step) {
    const int last = a.shape(1) - 1;
    array token = astype(argmax(slice(b, {0, last, 0}, {1, last + 1, b.shape(2)}), -1), int32);
    token = reshape(token, {1, 1});
    a = graphs->forward(token, graph_caches);
    b = plain->forward(token, plain_caches);
    const float diff = max(abs(subtract(astype(a, float32, kCpu), astype(b, float32, kCpu), kCpu), kCpu),
                           false, kCpu).item<float>();
    EXPECT_EQ(diff, 0.0f) << arch << " step " << step;
  }
}

float max_abs_diff(const array& a, const array& b) {
  return max(abs(subtract(astype(a, float32, kCpu), astype(b, float32, kCpu), kCpu), kCpu), false,
             kCpu).item<float>();
}

float max_abs(const array& a) {
  return max(abs(astype(a, float32, kCpu), kCpu), false, kCpu).item<float>();
}

array greedy_token(const array& logits) {
  const int last = logits.shape(1) - 1;
  array row = slice(logits, {0, last, 0}, {logits.shape(0), last + 1, logits.shape(2)});
  return reshape(astype(argmax(row, -1), int32), {1, 1});
}

// Note [Decode step graphs]: the whole step replayed over the caches' buffers computes what
// plain ops compute (float32, so differences are only summation order: attention's key
// chunks span the graph's capacity), step after step, and the caches it leaves hold the
// same state.
TEST_P(CudaGolden, StepGraphsMatchPlainOpsAndLeaveTheSameCaches) {
  const std::string arch = GetParam();
  auto golden = golden_json(arch);
  auto graphs = lm::load_model(model_fixture(arch), {.dtype = float32});
  auto plain = lm::load_model(model_fixture(arch), {.dtype = float32, .decode_graphs = false});
  auto ids = json_ints<int32_t>(golden["prompts"][0]["ids"]);
  auto graph_caches = graphs->make_caches(), plain_caches = plain->make_caches();
  const array prompt(ids.begin(), {1, int(ids.size())}, int32);
  array a = graphs->forward(prompt, graph_caches), b = plain->forward(prompt, plain_caches);
  for (int step = 0; step < 12; ++step) {
    array token = greedy_token(b);
    a = graphs->forward(token, graph_caches);
    b = plain->forward(token, plain_caches);
    EXPECT_LE(max_abs_diff(a, b), 1e-4f * std::max(1.0f, max_abs(b))) << arch << " step " << step;
    EXPECT_NE(graph_caches[0]->residence(), nullptr) << arch << ": the step did not use a graph";
  }
  for (size_t layer = 0; layer < plain_caches.size(); ++layer) {
    auto got = graph_caches[layer]->state(), want = plain_caches[layer]->state();
    ASSERT_EQ(got.size(), want.size()) << arch << " layer " << layer;
    EXPECT_EQ(graph_caches[layer]->offset(), plain_caches[layer]->offset());
    for (size_t j = 0; j < got.size(); ++j) {
      ASSERT_EQ(got[j].shape(), want[j].shape()) << arch << " layer " << layer;
      EXPECT_LE(max_abs_diff(got[j], want[j]), 1e-4f * std::max(1.0f, max_abs(want[j])))
          << arch << " layer " << layer << " state " << j;
    }
  }
}

// A snapshot taken from resident caches, restored later, replays the same steps bit for
// bit; a prefill after decode steps (a chat turn) brings the caches back, and decode then
// moves them into a graph again. A model without graphs fed the same tokens agrees.
TEST_P(CudaGolden, StepGraphCachesSnapshotRestoreAndPrefillAfterDecode) {
  const std::string arch = GetParam();
  auto golden = golden_json(arch);
  auto model = lm::load_model(model_fixture(arch), {.dtype = bfloat16});
  auto plain = lm::load_model(model_fixture(arch), {.dtype = bfloat16, .decode_graphs = false});
  auto ids = json_ints<int32_t>(golden["prompts"][0]["ids"]);
  const array prompt(ids.begin(), {1, int(ids.size())}, int32);
  auto caches = model->make_caches(), plain_caches = plain->make_caches();
  array logits = model->forward(prompt, caches);
  array plain_logits = plain->forward(prompt, plain_caches);
  auto both = [&](const array& tokens) {  // the same tokens into both models
    logits = model->forward(tokens, caches);
    plain_logits = plain->forward(tokens, plain_caches);
    const float scale = std::max(1.0f, max_abs(plain_logits));
    EXPECT_LE(max_abs_diff(logits, plain_logits), 0.05f * scale) << arch;
  };
  for (int step = 0; step < 3; ++step) both(greedy_token(logits));
  auto saved = lm::snapshot(caches);
  const array before = logits;
  std::vector<array> tokens, first;
  for (int step = 0; step < 4; ++step) {
    tokens.push_back(greedy_token(step == 0 ? before : first.back()));
    first.push_back(model->forward(tokens.back(), caches));
  }
  lm::restore(caches, saved);
  for (int step = 0; step < 4; ++step) {
    both(tokens[step]);
    EXPECT_EQ(max_abs_diff(logits, first[step]), 0.0f) << arch << " replayed step " << step;
  }
  // A chat turn: five more prompt tokens, then decode.
  std::vector<int32_t> turn(ids.begin(), ids.begin() + std::min<size_t>(5, ids.size()));
  both(array(turn.begin(), {1, int(turn.size())}, int32));
  EXPECT_EQ(caches[0]->residence(), nullptr) << arch << ": a prefill leaves the graph";
  for (int step = 0; step < 3; ++step) both(greedy_token(logits));
  EXPECT_NE(caches[0]->residence(), nullptr) << arch << ": decode went back into a graph";
  EXPECT_EQ(caches[0]->offset(), plain_caches[0]->offset());
}

INSTANTIATE_TEST_SUITE_P(Archs, CudaGolden, ::testing::ValuesIn(fixture_archs()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ember::test
