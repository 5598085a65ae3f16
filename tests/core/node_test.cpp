// Multi-output primitives own their outputs through one node: siblings never hold each
// other, so dropping every handle frees the node (no reference cycles), and any one
// output keeps the others' data reachable.
#include <gtest/gtest.h>

#include "ember/backend/cpu/strided.h"
#include "ember/core/node.h"
#include "ember/core/primitive.h"
#include "ember/ember.h"

using namespace ember;

namespace {

// Splits a 1-d float32 array into its first and second halves (two outputs).
class SplitHalves : public Primitive {
 public:
  explicit SplitHalves(Stream stream) : Primitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override {
    const float* in = inputs[0].data<float>();
    const size_t half = outputs[0].size();
    for (auto& out : outputs) cpu::allocate_output(out);
    std::copy(in, in + half, static_cast<float*>(outputs[0].raw_data()));
    std::copy(in + half, in + 2 * half, static_cast<float*>(outputs[1].raw_data()));
  }
  void eval_gpu(const std::vector<array>& in, std::vector<array>& out) override { eval_cpu(in, out); }
  const char* name() const override { return "SplitHalves"; }
};

std::vector<array> split_halves(const array& a) {
  const int32_t half = a.shape(0) / 2;
  return array::make_arrays({{half}, {half}}, {float32, float32},
                            std::make_shared<SplitHalves>(to_stream({})), {a});
}

}  // namespace

TEST(MultiOutput, BothOutputsShareOneNodeAndEvaluateTogether) {
  auto parts = split_halves(arange(10.0));
  EXPECT_EQ(parts[0].id(), parts[1].id());
  EXPECT_EQ(parts[0].output_index(), 0u);
  EXPECT_EQ(parts[1].output_index(), 1u);
  EXPECT_EQ(parts[0].outputs().size(), 2u);
  eval(parts[1]);  // evaluating one output computes both
  EXPECT_TRUE(parts[0].is_available());
  EXPECT_EQ(parts[0].data<float>()[4], 4.0f);
  EXPECT_EQ(parts[1].data<float>()[0], 5.0f);
}

TEST(MultiOutput, OneOutputOutlivesItsSibling) {
  array second = split_halves(arange(8.0))[1];  // the first output's handle is gone at once
  array doubled = second * 2.0f;
  EXPECT_EQ(doubled.data<float>()[3], 14.0f);
}

TEST(MultiOutput, DroppingAllHandlesFreesTheNode) {
  const int64_t nodes = detail::live_node_count();
  {
    auto parts = split_halves(arange(100.0));
    eval(parts);
    auto more = split_halves(parts[0] + parts[1]);  // unevaluated, referencing both
    EXPECT_GT(detail::live_node_count(), nodes);
  }
  EXPECT_EQ(detail::live_node_count(), nodes);
}
