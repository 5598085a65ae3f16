#include <gtest/gtest.h>
#include "ember/ember.h"
TEST(graph, Placeholder) { EXPECT_EQ(ember::promote_types(ember::int32, ember::float16), ember::float16); }
