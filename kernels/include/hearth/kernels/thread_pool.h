// kernels/thread_pool.h: a persistent pool that splits a range of rows
// across cores. Threads are created once (no per-token thread creation);
// the calling thread takes a share of the work too. Used by nlu/ for
// mat-vec and attention heads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth {

class ThreadPool {
 public:
  // n_threads >= 1 counts the caller: ThreadPool(2) starts one worker.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Inside fn of a parallel_for: how many threads share the job (this
  // pool's n_threads()); 1 anywhere else. Decode kernels read fewer row
  // streams per thread when several threads read at once.
  static int team_size();

  // Runs fn(begin, end) over [0, n) split into n_threads() * split
  // contiguous chunks (chunk starts rounded to `grain`), and returns when
  // all are done. Threads take the next chunk as they finish one, the
  // caller too, so a worker the OS has not scheduled (another process, the
  // hub's audio threads) delays the job by at most the chunk it holds,
  // never by its wake-up. Not reentrant: call from one thread at a time,
  // never from inside fn.
  void parallel_for(int n, int grain, const std::function<void(int begin, int end)>& fn, int split = 1);

 private:
  void worker();
  void run_chunk(int i);
  void take_chunks(uint32_t job);

  std::vector<std::thread> workers_;
  // A worker that finished a job, and the caller waiting for one, spin for
  // up to kSpinMicros before blocking: decode issues ~100 mat-muls per token
  // a few microseconds apart, and a futex wake costs ~15 µs here. Waits are
  // bounded, so an idle pool sleeps.
  static constexpr int kSpinMicros = 300;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_cv_;
  std::atomic<uint64_t> generation_{0};  // bumped per job (after fn_, n_, grain_, ticket_ are set)
  std::atomic<uint64_t> ticket_{0};      // job id (low 32 bits of generation) << 32 | next chunk << 16 | chunks
  std::atomic<int> done_chunks_{0};      // chunks of the current job finished
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};         // workers blocked on wake_
  std::atomic<bool> caller_waiting_{false};  // the caller is blocked on done_cv_
  const std::function<void(int, int)>* fn_ = nullptr;
  int n_ = 0, grain_ = 1, chunks_ = 1;
};

}  // namespace hearth
