// The floor under ember's per-node cost on the GPU: what the CUDA runtime alone charges the
// host for the calls one GPU task makes (a kernel launch, an event record), measured on
// the machine that runs the benchmarks, and what replaying the same kernels as a CUDA graph
// charges instead. Prints one line per measurement: name, microseconds per call.
//
//   launch_floor [--kernels N]   (default 1000 launches per timing, best of 5)
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

namespace {

__global__ void add_one(float* x, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] += 1.0f;
}

void check(cudaError_t error, const char* what) {
  if (error != cudaSuccess) {
    std::fprintf(stderr, "launch_floor: %s: %s\n", what, cudaGetErrorString(error));
    std::exit(1);
  }
}

// Best of 5 of `body` (which makes `calls` calls), host microseconds per call; the stream
// is drained before each timing so queue depth does not differ between repeats.
double host_us_per_call(cudaStream_t stream, int calls, const std::function<void()>& body) {
  double best = 1e30;
  for (int repeat = 0; repeat < 5; ++repeat) {
    check(cudaStreamSynchronize(stream), "synchronize");
    const auto start = std::chrono::steady_clock::now();
    body();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, seconds);
  }
  check(cudaStreamSynchronize(stream), "synchronize");
  return 1e6 * best / calls;
}

}  // namespace

int main(int argc, char** argv) {
  int kernels = 1000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--kernels") == 0) kernels = std::atoi(argv[i + 1]);
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("launch_floor: no GPU, nothing to measure\n");
    return 0;
  }
  cudaStream_t stream;
  check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "stream");
  float* x = nullptr;
  check(cudaMalloc(&x, 64 * sizeof(float)), "malloc");
  check(cudaMemsetAsync(x, 0, 64 * sizeof(float), stream), "memset");
  cudaEvent_t events[64];
  for (auto& event : events) check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "event");

  auto launches = [&] {
    for (int i = 0; i < kernels; ++i) add_one<<<1, 64, 0, stream>>>(x, 64);
  };
  const double launch = host_us_per_call(stream, kernels, launches);
  const double launch_and_event = host_us_per_call(stream, kernels, [&] {
    for (int i = 0; i < kernels; ++i) {
      add_one<<<1, 64, 0, stream>>>(x, 64);
      cudaEventRecord(events[i % 64], stream);
    }
  });

  // The same launches captured once and replayed: the host cost of one replay per kernel,
  // and the device time per kernel (gaps included) of launches against a replay.
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "begin capture");
  launches();
  check(cudaStreamEndCapture(stream, &graph), "end capture");
  check(cudaGraphInstantiate(&exec, graph, 0), "instantiate");
  const double replay = host_us_per_call(stream, kernels, [&] { cudaGraphLaunch(exec, stream); });
  const auto start_capture = std::chrono::steady_clock::now();
  cudaGraph_t again;
  check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "begin capture");
  launches();
  check(cudaStreamEndCapture(stream, &again), "end capture");
  cudaGraphExecUpdateResultInfo info;
  check(cudaGraphExecUpdate(exec, again, &info), "exec update");
  const double capture_update =
      1e6 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start_capture).count() /
      kernels;

  cudaEvent_t t0, t1;
  check(cudaEventCreate(&t0), "event");
  check(cudaEventCreate(&t1), "event");
  auto device_us = [&](const std::function<void()>& body) {
    float best = 1e30f;
    for (int repeat = 0; repeat < 5; ++repeat) {
      check(cudaEventRecord(t0, stream), "record");
      body();
      check(cudaEventRecord(t1, stream), "record");
      check(cudaEventSynchronize(t1), "synchronize");
      float ms = 0;
      check(cudaEventElapsedTime(&ms, t0, t1), "elapsed");
      best = std::min(best, ms);
    }
    return 1e3 * best / kernels;
  };
  const double device_launched = device_us(launches);
  const double device_replayed = device_us([&] { cudaGraphLaunch(exec, stream); });

  std::printf("launch_floor %-40s %8.2f us\n", "kernel launch (host, per kernel)", launch);
  std::printf("launch_floor %-40s %8.2f us\n", "launch + event record (host)", launch_and_event);
  std::printf("launch_floor %-40s %8.2f us\n", "graph replay (host, per kernel)", replay);
  std::printf("launch_floor %-40s %8.2f us\n", "capture + exec update (host, per kernel)",
              capture_update);
  std::printf("launch_floor %-40s %8.2f us\n", "launched kernels (device, per kernel)",
              device_launched);
  std::printf("launch_floor %-40s %8.2f us\n", "graph replay (device, per kernel)",
              device_replayed);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaGraphDestroy(again);
  cudaFree(x);
  return 0;
}
