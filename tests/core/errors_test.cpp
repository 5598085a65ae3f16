// G6: errors arrive where the caller can catch them. A kernel that throws on a worker
// thread surfaces at eval, synchronize or a read, typed and named; bad input is rejected
// when the op is built.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>

#include "ember/core/config.h"
#include "ember/core/primitive.h"
#include "ember/ember.h"

using namespace ember;

namespace {

// A test primitive whose kernel fails the way a real one could.
class Failing : public UnaryPrimitive {
 public:
  enum class How { value_error, std_exception, out_of_memory };
  Failing(Stream stream, How how) : UnaryPrimitive(stream), how_(how) {}
  void eval_cpu(const std::vector<array>&, array&) override {
    switch (how_) {
      case How::value_error: throw ValueError("boom from the worker");
      case How::std_exception: throw std::logic_error("a library failed");
      case How::out_of_memory: throw OutOfMemory("no room");
    }
  }
  void eval_gpu(const std::vector<array>& in, array& out) override { eval_cpu(in, out); }
  const char* name() const override { return "Failing"; }

 private:
  How how_;
};

array failing(const array& input, Failing::How how, StreamOrDevice s = {}) {
  Stream stream = to_stream(s);
  return array(input.shape(), input.dtype(), std::make_shared<Failing>(stream, how), {input});
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}



TEST(Errors, KernelErrorSurfacesAtEvalTypedAndNamed) {
  array x = failing(arange(4.0), Failing::How::value_error);
  EXPECT_THROW(eval(x), ValueError);
  const std::string message = message_of([&] { eval(x); });
  EXPECT_NE(message.find("[Failing]"), std::string::npos) << message;
  EXPECT_NE(message.find("boom from the worker"), std::string::npos) << message;
}

TEST(Errors, ForeignExceptionsBecomeRuntimeError) {
  array x = failing(arange(4.0), Failing::How::std_exception);
  EXPECT_THROW(eval(x), RuntimeError);
  EXPECT_NE(message_of([&] { eval(x); }).find("a library failed"), std::string::npos);
}

TEST(Errors, OutOfMemoryKeepsItsType) {
  array x = failing(arange(4.0), Failing::How::out_of_memory);
  EXPECT_THROW(eval(x), OutOfMemory);
}

TEST(Errors, DependentsOfAFailedNodeFailWithTheSameError) {
  array x = failing(arange(4.0), Failing::How::value_error);
  array y = exp(x) + 1.0f;
  EXPECT_THROW(eval(y), ValueError);
  EXPECT_NE(message_of([&] { eval(y); }).find("boom"), std::string::npos);
}

TEST(Errors, ReadsOfAFailedArrayRethrow) {
  array x = sum(failing(arange(4.0), Failing::How::value_error));
  EXPECT_THROW(x.item<float>(), ValueError);
  EXPECT_THROW(x.data<float>(), ValueError);
}

TEST(Errors, AsyncErrorIsStoredOnTheStreamAndRethrownOnceAtSynchronize) {
  Stream s = new_stream(Device::cpu);
  array x = failing(arange(4.0, s), Failing::How::value_error, s);
  async_eval(x);
  EXPECT_THROW(synchronize(s), ValueError);
  EXPECT_NO_THROW(synchronize(s));  // reported once
  // The stream keeps working.
  array y = exp(arange(3.0, s), s);
  EXPECT_NO_THROW(synchronize(s));
  EXPECT_NEAR(y.data<float>()[2], std::exp(2.0f), 1e-5);
}

TEST(Errors, AsyncErrorIsRethrownAtTheNextEvalOnThatStream) {
  Stream s = new_stream(Device::cpu);
  array x = failing(arange(4.0, s), Failing::How::value_error, s);
  async_eval(x);
  array y = arange(3.0, s);
  EXPECT_THROW(eval(y), ValueError);
  array z = arange(3.0, s);
  EXPECT_NO_THROW(eval(z));
}

TEST(Errors, ErrorsReportedByEvalAreNotReportedAgain) {
  Stream s = new_stream(Device::cpu);
  array x = failing(arange(4.0, s), Failing::How::value_error, s);
  EXPECT_THROW(eval(x), ValueError);
  EXPECT_NO_THROW(synchronize(s));
}

TEST(Errors, ProcessStaysHealthyAfterManyFailures) {
  for (int i = 0; i < 100; ++i) {
    array x = failing(arange(8.0), Failing::How::value_error);
    EXPECT_THROW(eval(x), ValueError);
  }
  array ok = sum(arange(10.0));
  EXPECT_FLOAT_EQ(ok.item<float>(), 45.0f);
}

TEST(Errors, BadInputIsRejectedWhenTheOpIsBuilt) {
  array a = ones({2, 3});
  array b = ones({4, 5});
  EXPECT_THROW(add(a, b), ValueError);
  EXPECT_NE(message_of([&] { add(a, b); }).find("[add]"), std::string::npos);
  EXPECT_NE(message_of([&] { matmul(a, b); }).find("[matmul]"), std::string::npos);
  EXPECT_THROW(sum(a, 2), IndexError);
  EXPECT_NE(message_of([&] { sum(a, 2); }).find("[sum]"), std::string::npos);
  EXPECT_THROW(reshape(a, {4, 2}), ValueError);
  EXPECT_THROW(matmul(ones({2, 2}, int32), ones({2, 2}, int32)), TypeError);
}

// Variables read once per process (config.h): each case runs in a child process of its
// own (gtest re-executes the binary), where the first read sees the malformed value.
void expect_config_error(const char* name, const char* value, int64_t (*read)()) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv(name, value, 1);
        try {
          read();
        } catch (const ValueError& e) {
          std::fprintf(stderr, "ValueError: %s\n", e.what());
          std::exit(3);
        }
        std::exit(0);
      },
      ::testing::ExitedWithCode(3), std::string("ValueError: .*") + name)
      << name << "=" << value;
}

TEST(Config, MalformedValuesAreValueErrorsNamingTheVariable) {
  expect_config_error("EMBER_DELTA_CHUNK", "abc", &config::delta_rule_chunk);
  expect_config_error("EMBER_DELTA_CHUNK", "-64", &config::delta_rule_chunk);
  expect_config_error("EMBER_DELTA_CHUNK", "5000", &config::delta_rule_chunk);
  expect_config_error("EMBER_SPIN_WAIT_US", "2ms", &config::spin_wait_microseconds);
}

TEST(Config, EveryVariableReadIsInTheRegistry) {
  std::set<std::string> names;
  for (const auto& variable : config::environment_variables()) names.insert(variable.name);
  for (const char* name : {"EMBER_DELTA_CHUNK", "EMBER_SPIN_WAIT_US", "EMBER_MAX_GRAPH_DEPTH"}) {
    EXPECT_TRUE(names.count(name)) << name << " is read but not in config's registry";
  }
}

}  // namespace
