// audio/ring.h: a lock-free single-producer single-consumer ring of samples.
// The PortAudio callback (producer) only copies into it: no allocation, no
// locks, no logging. The DSP thread (consumer) pulls 10 ms frames out.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hearth {

inline constexpr int kSampleRateHz = 16000;   // the pipeline's rate
inline constexpr int kFrameSamples = 160;     // 10 ms at 16 kHz

class SpscRing {
 public:
  // capacity_samples is rounded up to a power of two.
  explicit SpscRing(size_t capacity_samples) {
    size_t cap = 1;
    while (cap < capacity_samples) cap <<= 1;
    buf_.resize(cap);
    mask_ = cap - 1;
  }

  size_t capacity() const { return buf_.size(); }

  // Producer side. Writes as many samples as fit; returns how many. Samples
  // that do not fit are the caller's overrun to count. noexcept, wait-free.
  size_t write(std::span<const float> in) noexcept {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    const uint64_t tail = tail_.load(std::memory_order_acquire);
    const size_t free_n = buf_.size() - static_cast<size_t>(head - tail);
    const size_t n = std::min(free_n, in.size());
    for (size_t i = 0; i < n; ++i) buf_[(head + i) & mask_] = in[i];
    head_.store(head + n, std::memory_order_release);
    return n;
  }

  // Producer side: free space (exact for the producer; the consumer can only
  // make it grow).
  size_t writable() const noexcept {
    return buf_.size() - static_cast<size_t>(head_.load(std::memory_order_relaxed) -
                                             tail_.load(std::memory_order_acquire));
  }

  // Consumer side. Reads up to out.size() samples; returns how many.
  size_t read(std::span<float> out) noexcept {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    const uint64_t head = head_.load(std::memory_order_acquire);
    const size_t n = std::min(static_cast<size_t>(head - tail), out.size());
    for (size_t i = 0; i < n; ++i) out[i] = buf_[(tail + i) & mask_];
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  // Samples waiting (consumer's view; exact when called by the consumer).
  size_t available() const noexcept {
    return static_cast<size_t>(head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire));
  }

 private:
  std::vector<float> buf_;
  size_t mask_ = 0;
  alignas(64) std::atomic<uint64_t> head_{0};  // total samples written
  alignas(64) std::atomic<uint64_t> tail_{0};  // total samples read
};

}  // namespace hearth
