// capture_graph without a GPU: the CPU cannot capture, and says so. (The GPU behaviour is
// tested in tests/cuda/capture_test.cpp.)
#include "ember/core/capture.h"

#include <gtest/gtest.h>

#include "ember/ember.h"

namespace ember {
namespace {

TEST(Capture, ACpuStreamIsAValueErrorNamingCaptureGraph) {
  const array x = array({1.0f, 2.0f, 3.0f});
  auto square = [](const std::vector<array>& in) { return std::vector<array>{in[0] * in[0]}; };
  try {
    capture_graph(square, {x}, Device(Device::cpu));
    ADD_FAILURE() << "a CPU stream captured";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("[capture_graph] needs a GPU stream"), std::string::npos)
        << e.what();
  }
  // Nothing was lost: the input still evaluates on the CPU.
  EXPECT_FLOAT_EQ(sum(square({x})[0]).item<float>(), 14.0f);
}

TEST(Capture, UpdateStateOutsideACaptureIsAValueError) {
  const array state = zeros({4, 3});
  const array row = array({1.0f, 2.0f, 3.0f}, {1, 3});
  try {
    update_state(state, row, array(1, int32), {0});
    ADD_FAILURE() << "update_state ran outside a capture";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("[update_state] only inside a function captured"),
              std::string::npos)
        << e.what();
  }
  // The array is untouched: still zeros.
  EXPECT_FLOAT_EQ(sum(abs(state)).item<float>(), 0.0f);
}

}  // namespace
}  // namespace ember
