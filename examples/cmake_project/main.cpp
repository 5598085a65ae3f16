// Builds against an installed ember and checks one small computation.
#include <ember/ember.h>

#include <cmath>
#include <iostream>

int main() {
  using namespace ember;
  array x = reshape(arange(6.0), {2, 3});
  array y = sum(x * x, 1);  // [0+1+4, 9+16+25]
  eval(y);
  std::cout << y << "\n";
  const float* v = y.data<float>();
  return (std::abs(v[0] - 5.0f) < 1e-6f && std::abs(v[1] - 50.0f) < 1e-6f) ? 0 : 1;
}
