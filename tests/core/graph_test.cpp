// G3: graphs stay bounded. Iterative walks (eval, destruction) survive million-node chains;
// the depth guard keeps a loop that never calls eval in bounded memory.
#include <gtest/gtest.h>

#include "ember/core/node.h"
#include "ember/ember.h"

using namespace ember;

namespace {

// Restores the process-wide depth limit when a test ends.
class DepthLimit {
 public:
  explicit DepthLimit(int64_t depth) : saved_(get_max_graph_depth()) { set_max_graph_depth(depth); }
  ~DepthLimit() { set_max_graph_depth(saved_); }

 private:
  int64_t saved_;
};

constexpr int kMillion = 1'000'000;

}  // namespace

TEST(Graph, MillionNodeChainEvaluatesAndIsDestroyed) {
  DepthLimit off(0);  // build the whole chain unevaluated
  const int64_t nodes_before = detail::live_node_count();
  array one(1.0f);
  array x(0.0f);
  for (int i = 0; i < kMillion; ++i) x = add(x, one);
  EXPECT_GE(detail::live_node_count() - nodes_before, kMillion);
  eval(x);
  EXPECT_EQ(x.item<float>(), static_cast<float>(kMillion));
  // Evaluated nodes dropped their inputs: only x's node (and `one`) remain.
  EXPECT_LE(detail::live_node_count() - nodes_before, 3);
}

TEST(Graph, UnevaluatedMillionNodeChainIsDestroyedWithoutRecursion) {
  DepthLimit off(0);
  const int64_t nodes_before = detail::live_node_count();
  {
    array one(1.0f);
    array x(0.0f);
    for (int i = 0; i < kMillion; ++i) x = multiply(add(x, one), one);
    EXPECT_GE(detail::live_node_count() - nodes_before, 2 * kMillion);
  }  // the whole chain goes here, never evaluated
  EXPECT_EQ(detail::live_node_count(), nodes_before);
}

TEST(Graph, DepthGuardBoundsALoopThatNeverEvaluates) {
  DepthLimit limit(1000);
  const int64_t nodes_before = detail::live_node_count();
  int64_t most_nodes = 0;
  size_t most_memory = 0;
  array x(0.0f);
  for (int i = 0; i < 100'000; ++i) {
    x = x * 0.5f + 1.0f;
    if (i % 997 == 0) {
      most_nodes = std::max(most_nodes, detail::live_node_count() - nodes_before);
      most_memory = std::max(most_memory, get_active_memory());
    }
  }
  // Without the guard the chain would hold 400,000 nodes (two scalars and two ops per step).
  EXPECT_LT(most_nodes, 4 * 1000 + 100);
  EXPECT_LT(most_memory, size_t{64} << 20);
  EXPECT_EQ(x.item<float>(), 2.0f);  // the fixed point of x -> x/2 + 1, reached exactly
}

TEST(Graph, DepthGuardKeepsExactCounts) {
  DepthLimit limit(500);
  array one(1, int32);
  array x(0, int32);
  for (int i = 0; i < 100'000; ++i) x = x + one;
  EXPECT_EQ(x.item<int32_t>(), 100'000);
}

TEST(Graph, GuardOffKeepsTheWholeGraphLazy) {
  DepthLimit off(0);
  const int64_t nodes_before = detail::live_node_count();
  array one(1.0f);
  array x(0.0f);
  for (int i = 0; i < 5000; ++i) x = x + one;
  EXPECT_FALSE(x.is_available());
  EXPECT_GE(detail::live_node_count() - nodes_before, 5000);
  EXPECT_EQ(x.item<float>(), 5000.0f);
}

TEST(Graph, GuardIsOffInsideATransformScope) {
  DepthLimit limit(100);
  const int64_t nodes_before = detail::live_node_count();
  detail::GraphDepthGuardOff scope;
  array one(1.0f);
  array x(0.0f);
  for (int i = 0; i < 1000; ++i) x = x + one;
  EXPECT_GE(detail::live_node_count() - nodes_before, 1000);
  EXPECT_EQ(x.item<float>(), 1000.0f);
}

TEST(Graph, DepthSetterValidates) {
  EXPECT_THROW(set_max_graph_depth(-1), ValueError);
  DepthLimit limit(1234);
  EXPECT_EQ(get_max_graph_depth(), 1234);
}

TEST(Graph, EvaluatedNodesDropTheirInputs) {
  array a = arange(10.0);
  array b = exp(a);
  array c = b + a;
  EXPECT_EQ(c.inputs().size(), 2u);
  eval(c);
  EXPECT_TRUE(c.inputs().empty());
  EXPECT_FALSE(c.has_primitive());
}

TEST(Graph, WideGraphSharingANodeEvaluatesItOnce) {
  array base = arange(1000.0);
  std::vector<array> outs;
  for (int i = 0; i < 200; ++i) outs.push_back(sum(base * static_cast<float>(i)));
  eval(outs);
  for (int i = 0; i < 200; ++i) {
    EXPECT_FLOAT_EQ(outs[i].item<float>(), 499500.0f * i);
  }
}
