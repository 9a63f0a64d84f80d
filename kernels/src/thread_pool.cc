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

thread_local int tl_team_size = 1;

}  // namespace

int ThreadPool::team_size() { return tl_team_size; }

ThreadPool::ThreadPool(int n_threads) {
  for (int i = 1; i < std::max(1, n_threads); ++i) workers_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

// Chunk i of the current job: boundaries rounded to the grain so blocks of
// rows stay together.
void ThreadPool::run_chunk(int i) {
  const int units = (n_ + grain_ - 1) / grain_;
  const int begin = std::min(n_, int(int64_t(units) * i / chunks_) * grain_);
  const int end = std::min(n_, int(int64_t(units) * (i + 1) / chunks_) * grain_);
  if (begin < end) (*fn_)(begin, end);
}

// Takes chunks of job `job` until none is left (the team size set while it
// runs them). The ticket holds the job's id with its next and total chunk counts, so a
// thread late for a job can never take a chunk of the next one, and a job
// whose chunk a thread holds stays live (its fn_, n_ and grain_ unchanged)
// until that chunk is counted done.
void ThreadPool::take_chunks(uint32_t job) {
  tl_team_size = n_threads();
  uint64_t t = ticket_.load(std::memory_order_acquire);
  for (;;) {
    const int next = static_cast<int>((t >> 16) & 0xFFFF), total = static_cast<int>(t & 0xFFFF);
    if (static_cast<uint32_t>(t >> 32) != job || next >= total) break;
    if (!ticket_.compare_exchange_weak(t, t + (uint64_t(1) << 16), std::memory_order_acq_rel)) continue;
    run_chunk(next);
    if (done_chunks_.fetch_add(1) + 1 == total && caller_waiting_.load()) {
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_one();
    }
    t = ticket_.load(std::memory_order_acquire);
  }
  tl_team_size = 1;
}

// Memory order: the caller writes fn_, n_, grain_, chunks_ and the ticket,
// then bumps generation_; a worker claims a chunk on the ticket (acquire)
// before it reads them. The sleep/wake handshakes (sleepers_ /
// caller_waiting_) are sequentially consistent: the waker either sees the
// sleeper's flag, or the sleeper's predicate sees the waker's change.
void ThreadPool::worker() {
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
    take_chunks(static_cast<uint32_t>(seen));
  }
}

void ThreadPool::parallel_for(int n, int grain, const std::function<void(int, int)>& fn, int split) {
  if (n <= 0) return;
  if (workers_.empty() || n <= grain) {
    fn(0, n);
    return;
  }
  fn_ = &fn;
  n_ = n;
  grain_ = std::max(1, grain);
  chunks_ = std::min(n_threads() * std::max(1, split), 0xFFFF);
  done_chunks_.store(0);
  const uint64_t gen = generation_.load() + 1;
  ticket_.store((gen << 32) | uint64_t(chunks_), std::memory_order_release);
  generation_.store(gen);
  if (sleepers_.load() > 0) {
    { std::lock_guard<std::mutex> lock(mu_); }
    wake_.notify_all();
  }
  take_chunks(static_cast<uint32_t>(gen));
  // Every chunk is taken; wait for the ones other threads still run. A
  // worker the OS has not scheduled yet holds none, so it delays nothing.
  auto done = [&] { return done_chunks_.load() == chunks_; };
  if (!spin_until(done, kSpinMicros)) {
    std::unique_lock<std::mutex> lock(mu_);
    caller_waiting_.store(true);
    done_cv_.wait(lock, done);
    caller_waiting_.store(false);
  }
  fn_ = nullptr;
}

}  // namespace hearth
