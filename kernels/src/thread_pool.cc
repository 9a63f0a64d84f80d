#include "hearth/kernels/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace hearth {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until done() or `micros` have passed; true if done().
template <class Done>
bool spin_until(Done done, int micros) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  for (int i = 1; i < std::max(1, n_threads); ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::run_chunk(int index) {
  const int nt = n_threads();
  // chunk boundaries rounded to the grain so blocks of rows stay together
  const int units = (n_ + grain_ - 1) / grain_;
  const int begin = std::min(n_, units * index / nt * grain_);
  const int end = std::min(n_, units * (index + 1) / nt * grain_);
  if (begin < end) (*fn_)(begin, end);
}

// Memory order: the caller writes fn_, n_, grain_ and then bumps
// generation_; a worker reads them after seeing the new generation. The
// sleep/wake handshakes (sleepers_ / caller_waiting_) are sequentially
// consistent: the waker either sees the sleeper's flag, or the sleeper's
// predicate sees the waker's change.
void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  auto ready = [&] { return stop_.load() || generation_.load() != seen; };
  for (;;) {
    if (!spin_until(ready, kSpinMicros)) {
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, ready);
      sleepers_.fetch_sub(1);
    }
    if (stop_.load()) return;
    seen = generation_.load();
    run_chunk(index);
    if (pending_.fetch_sub(1) == 1 && caller_waiting_.load()) {
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(int n, int grain, const std::function<void(int, int)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n <= grain) {
    fn(0, n);
    return;
  }
  fn_ = &fn;
  n_ = n;
  grain_ = std::max(1, grain);
  pending_.store(static_cast<int>(workers_.size()));
  generation_.fetch_add(1);
  if (sleepers_.load() > 0) {
    { std::lock_guard<std::mutex> lock(mu_); }
    wake_.notify_all();
  }
  run_chunk(0);
  auto done = [&] { return pending_.load() == 0; };
  if (!spin_until(done, kSpinMicros)) {
    std::unique_lock<std::mutex> lock(mu_);
    caller_waiting_.store(true);
    done_cv_.wait(lock, done);
    caller_waiting_.store(false);
  }
  fn_ = nullptr;
}

}  // namespace hearth
