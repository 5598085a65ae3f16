#!/usr/bin/env bash
# Builds and runs ember's whole CPU test suite (README's second command; .ci/run calls it):
#   1. release preset: every C++ test (ctest), the install/find_package example included;
#   2. asan preset (AddressSanitizer + UBSan): every CPU test again;
#   3. tsan preset (ThreadSanitizer): every CPU test again, except the 1,000 x 64 MiB G2 loop
#      (it runs in the release and asan stages; under TSan every store is instrumented and
#      it alone would take over 15 minutes), with OPENBLAS_NUM_THREADS=1 (set by the test
#      preset): OpenBLAS's own worker threads synchronise through spin flags TSan cannot see,
#      so a threaded sgemm is reported as racing with whatever reuses its buffers next;
#   4. the libFuzzer targets, each for a bounded time (scripts/fuzz.sh);
#   5. cuda preset, when nvcc is installed: builds libember with the CUDA backend and the GPU
#      test binaries (a compile check on machines without a GPU) and runs the tests labelled
#      `cuda`, which skip with a printed reason when no GPU is present. The full GPU suite,
#      compute-sanitizer and the GPU benchmarks run on the GPU machine: scripts/gpu.sh.
# Usage: scripts/test.sh [--quick]   (--quick: release preset only)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${EMBER_TEST_JOBS:-$(nproc)}
# ccache (when installed) shares compiled objects between clones and presets.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
quick=0
[ "${1:-}" = "--quick" ] && quick=1

run_preset() {
  local preset=$1
  echo "=== [$preset] configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== [$preset] tests"
  ctest --preset "$preset" -j "$jobs" --timeout 900
}

cuda_stage() {
  local nvcc
  nvcc=$(command -v nvcc || true)
  [ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
  if [ -z "$nvcc" ]; then
    echo "=== [cuda] skipped: nvcc not found (install the CUDA toolkit to compile the backend)"
    return
  fi
  echo "=== [cuda] configure and build libember + GPU tests (nvcc: $nvcc)"
  cmake --preset cuda -DCMAKE_CUDA_COMPILER="$nvcc" -DEMBER_BUILD_BENCHMARKS=OFF >/dev/null
  local targets=(ember)
  for source in tests/cuda/*_test.cpp; do targets+=("cuda_$(basename "$source" .cpp)"); done
  cmake --build --preset cuda -j "$jobs" --target "${targets[@]}"
  echo "=== [cuda] tests labelled cuda (they skip, saying why, when there is no GPU)"
  # -V so that each skipped test's printed reason shows; failures still fail the stage.
  ctest --test-dir build/cuda -L cuda --output-on-failure --timeout 900 -V |
    { grep -E "SKIPPED|Skipped|skip|tests passed|tests failed|Failed" || true; }
}

run_preset release
if [ "$quick" = 0 ]; then
  run_preset asan
  TSAN_OPTIONS="second_deadlock_stack=1 ${TSAN_OPTIONS:-}" run_preset tsan
  scripts/fuzz.sh "${EMBER_FUZZ_SECONDS:-20}"
  cuda_stage
fi
echo "=== all test stages passed"
