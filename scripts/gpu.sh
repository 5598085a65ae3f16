#!/usr/bin/env bash
# The one script for the GPU machine: builds (or unpacks) the CUDA build, runs the GPU
# tests (label `cuda`), runs them again under compute-sanitizer (memcheck on all, racecheck
# on a subset), runs GPU benchmarks if any exist, and prints a summary table last.
#
#   scripts/gpu.sh bundle   # on a build machine: build the `cuda` preset here and pack
#                           # build/gpu-bundle/ember-gpu.tar.xz (binaries + runtime libs)
#   scripts/gpu.sh          # on the GPU machine: use that bundle if present, else
#                           # configure + build the `cuda` preset there with all cores
#
# Stages can be switched off to split the run over several device calls (each call is
# limited to 10 minutes): EMBER_GPU_TESTS=0, EMBER_GPU_SANITIZE=0, EMBER_GPU_BENCH=0.
#
# Why a bundle: the GPU machine (Ubuntu 24.04, CUDA 13, cmake, g++ 13, gtest,
# nlohmann-json) lacks the OpenBLAS, LAPACK, pcre2 and utf8proc development packages that
# libember links (CPU BLAS, tokenizer), so configuring there fails. Building on the dev
# machine (nvcc needs no GPU) and carrying libember, the cuda test binaries and the few
# runtime libraries the GPU image lacks is the robust path, and it spends no device time
# compiling. Binaries from the older build machine (Debian 12, glibc 2.36) run on the
# newer GPU image. The build-there path stays for images that have those packages.
# Carry `build/gpu-bundle` with the device call (about 15-20 MiB of the 64 MiB allowed), and
# `build/mlx-cuda` (about 30 MiB, from benchmarks/peers/mlx_cuda_pack.py) for the MLX peer.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bundle_dir=build/gpu-bundle
bundle=$bundle_dir/ember-gpu.tar.xz
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1

if [ "${1:-}" = "bundle" ]; then
  set -e
  build=${EMBER_CUDA_BUILD_DIR:-build/cuda}
  cmake --preset cuda -B "$build" -DEMBER_BUILD_BENCHMARKS=ON >/dev/null
  targets=(ember gpu_ops_bench lm_bench launch_floor kernel_variants)
  for source in tests/cuda/*_test.cpp; do targets+=("cuda_$(basename "$source" .cpp)"); done
  cmake --build "$build" -j "${EMBER_BUILD_JOBS:-2}" --target "${targets[@]}"
  stage=$(mktemp -d)
  mkdir -p "$stage/lib" "$stage/tests"
  cp -a "$build"/lib/libember.so* "$stage/lib/"
  cp "$build"/tests/cuda_* "$stage/tests/"
  mkdir -p "$stage/bin"
  cp "$build"/benchmarks/gpu_ops_bench "$build"/benchmarks/launch_floor "$build"/benchmarks/kernel_variants "$build"/bin/lm_bench "$stage/bin/"
  # Runtime libraries of libember that the GPU image lacks (not CUDA's own: it has those).
  for lib in $(ldd "$build/lib/libember.so" | awk '/=> \//{print $3}' |
               grep -E 'libopenblas|liblapack|libblas|libgfortran|libquadmath|libpcre2|libutf8proc'); do
    cp -L "$lib" "$stage/lib/"
  done
  mkdir -p "$bundle_dir"
  tar -C "$stage" -cJf "$bundle" .
  rm -rf "$stage"
  ls -la "$bundle"
  exit 0
fi

# ---- on the GPU machine ----
jobs=$(nproc)
results=()
record() { results+=("$(printf '%-44s %s' "$1" "$2")"); }

nvidia-smi -L 2>/dev/null || echo "note: nvidia-smi found no GPU; the GPU tests will skip"
export LD_LIBRARY_PATH="/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
if [ -f "$bundle" ]; then
  run_dir=/tmp/ember-gpu
  rm -rf "$run_dir" && mkdir -p "$run_dir"
  tar -C "$run_dir" -xJf "$bundle"
  export LD_LIBRARY_PATH="$run_dir/lib:$LD_LIBRARY_PATH"
  tests=("$run_dir"/tests/cuda_*)
  record "build" "bundle ($bundle)"
else
  build=build/cuda
  if cmake --preset cuda -DEMBER_BUILD_BENCHMARKS=ON >/tmp/ember-configure.log 2>&1 &&
     cmake --build --preset cuda -j "$jobs" >/tmp/ember-build.log 2>&1; then
    record "build" "cuda preset, $jobs jobs: ok"
  else
    tail -40 /tmp/ember-configure.log /tmp/ember-build.log
    record "build" "FAILED (no bundle, and the cuda preset did not build here)"
    printf '\n=== summary\n'; printf '%s\n' "${results[@]}"; exit 1
  fi
  tests=("$build"/tests/cuda_*)
fi

status=0
run_suite() {  # name, wrapper..., then the tests run with --gtest_brief
  local label=$1; shift
  local passed=0 failed=0
  for t in "${tests[@]}"; do
    if "$@" "$t" --gtest_brief=1 ${GTEST_FILTER:+--gtest_filter=$GTEST_FILTER} \
        >"/tmp/$(basename "$t").${label%% *}.log" 2>&1; then
      passed=$((passed + 1))
      echo "$(basename "$t"): $(tail -1 "/tmp/$(basename "$t").${label%% *}.log")"
    else
      failed=$((failed + 1)); status=1
      echo "--- $label: $(basename "$t") failed"; tail -30 "/tmp/$(basename "$t").${label%% *}.log"
    fi
  done
  record "$label" "$passed binaries passed, $failed failed"
}

if [ "${EMBER_GPU_TESTS:-1}" = 1 ]; then
  echo "=== GPU tests"
  run_suite "tests (label cuda)"
fi

sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
if [ "${EMBER_GPU_SANITIZE:-1}" != 1 ]; then
  record "compute-sanitizer" "skipped (EMBER_GPU_SANITIZE=0)"
elif [ -n "$sanitizer" ]; then
  echo "=== compute-sanitizer memcheck"
  # The LM golden suite runs whole models; under memcheck only the hybrid's float32 case
  # (attention, RoPE, norms, the gated delta rule: the kernels the other models use too).
  GTEST_FILTER="${EMBER_MEMCHECK_FILTER:-*:-Archs/CudaGolden.Bfloat16*:Archs/CudaGolden.*/llama:Archs/CudaGolden.*/qwen3:Archs/CudaGolden.*/qwen3_moe:Archs/CudaGolden.*/qwen3_5_moe:Archs/CudaGolden.*/qwen3_next}" \
  run_suite "memcheck" timeout "${EMBER_SANITIZER_TIMEOUT:-300}" \
    "$sanitizer" --tool memcheck --error-exitcode 99 --leak-check no
  echo "=== compute-sanitizer racecheck (streams and memory tests)"
  all_tests=("${tests[@]}")
  tests=()
  for t in "${all_tests[@]}"; do [[ $t == *cuda_backend_test ]] && tests+=("$t"); done
  GTEST_FILTER='CudaStreams.*:CudaMemory.Dropped*' \
    run_suite "racecheck (subset)" timeout "${EMBER_SANITIZER_TIMEOUT:-300}" \
    "$sanitizer" --tool racecheck --error-exitcode 99
  tests=("${all_tests[@]}")
else
  record "compute-sanitizer" "not found"
fi

# Benchmarks against PyTorch / transformers in the same run (skip with EMBER_GPU_BENCH=0).
if [ "${EMBER_GPU_BENCH:-1}" = 1 ]; then
  # The MLX peer (MLX's CUDA build and mlx-lm, packed on the build machine by
  # benchmarks/peers/mlx_cuda_pack.py): gpu_peer.py and lm_peer.py add its columns when
  # `import mlx.core` works. libmlx.so's RPATH looks for cuDNN, NCCL and cuBLAS in the
  # site's `nvidia` directory; PyTorch's wheels installed those, so the site links to them.
  mlx_pack=build/mlx-cuda/mlx-cuda.tar.xz
  compute_cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1)
  if [ ! -f "$mlx_pack" ]; then
    record "MLX peer" "none (no $mlx_pack; python3 benchmarks/peers/mlx_cuda_pack.py makes it)"
  elif [ "$compute_cap" != "9.0" ]; then
    record "MLX peer" "none (the pack holds sm_90 code only; this GPU is ${compute_cap:-unknown})"
  else
    mlx_site=/tmp/mlx-site
    rm -rf "$mlx_site" && mkdir -p "$mlx_site" && tar -C "$mlx_site" -xJf "$mlx_pack"
    nvidia_dir=$(python3 -c 'import nvidia; print(list(nvidia.__path__)[0])' 2>/dev/null)
    [ -n "$nvidia_dir" ] && ln -sfn "$nvidia_dir" "$mlx_site/nvidia"
    export PYTHONPATH="$mlx_site${PYTHONPATH:+:$PYTHONPATH}"
    record "MLX peer" "$(cat "$mlx_site/MLX_PACK")"
  fi
  bin_dir=${run_dir:+$run_dir/bin}
  ops_bench=${bin_dir:-build/cuda/benchmarks}/gpu_ops_bench
  lm_bench=${bin_dir:-build/cuda/bin}/lm_bench
  echo "=== benchmarks/ops on the GPU vs PyTorch"
  # TF32 for the float32 matmul on both sides, as issue 4 measures it.
  if EMBER_CUDA_TF32=1 python3 benchmarks/ops/gpu_peer.py --ember-bench "$ops_bench" 2>&1 | tee /tmp/ember-ops-bench.log; then
    record "bench ops vs torch" "ok (table above)"
  else
    record "bench ops vs torch" "FAILED"
  fi
  echo "=== bandwidth kernels alone (CUDA events, no host path): ember's and alternative layouts"
  if timeout 120 "${bin_dir:-build/cuda/benchmarks}/kernel_variants" | tee /tmp/ember-kernel-variants.log; then
    record "bench kernel variants" "ok (lines above)"
  else
    record "bench kernel variants" "FAILED"
  fi
  echo "=== CUDA runtime floor: host cost of a launch, an event, a graph replay"
  if "${bin_dir:-build/cuda/benchmarks}/launch_floor" | tee /tmp/ember-launch-floor.log; then
    record "bench launch floor" "ok (lines above)"
  else
    record "bench launch floor" "FAILED"
  fi
  echo "=== benchmarks/lm vs transformers"
  if timeout "${EMBER_LM_BENCH_TIMEOUT:-300}" python3 benchmarks/lm/lm_peer.py --lm-bench "$lm_bench" \
      ${EMBER_LM_BENCH_ARGS:-} 2>&1 | tee /tmp/ember-lm-bench.log; then
    record "bench lm vs transformers" "ok (table above)"
  else
    record "bench lm vs transformers" "FAILED or timed out"
  fi
fi

printf '\n=== summary\n'
printf '%s\n' "${results[@]}"
exit $status
