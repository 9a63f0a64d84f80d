// daemon/src/llm_service.h: the configured LLM ("llm" config block, issue 6)
// on its own worker thread, never the event loop. The worker loads the model
// at start and then answers queued chat requests one at a time with one
// LlmEngine, whose KV state carries over between requests (a shared system
// prompt is evaluated once). Private to daemon/.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "hearth/common/result.h"
#include "hearth/daemon/config.h"
#include "hearth/nlu/llm_engine.h"

namespace hearth {

class LlmService {
 public:
  // Runs on the worker thread. on_text gets reply text as it is generated
  // (return false to stop); done gets the result exactly once.
  struct Job {
    LlmChatRequest request;
    std::function<bool(std::string_view)> on_text;
    std::function<void(Result<LlmChatResult>)> done;
  };

  explicit LlmService(const LlmServeConfig& config, size_t max_queue = 16);
  ~LlmService();  // finishes the running job early, fails the queued ones (503), joins
  LlmService(const LlmService&) = delete;
  LlmService& operator=(const LlmService&) = delete;

  // Queues a job. kUnavailable (done is not called) when the queue is full
  // or the model failed to load (the error says why).
  Result<void> submit(Job job);
  // "loading", "ready" or the load error. Any thread.
  std::string status() const;
  bool ready() const;
  std::string model_name() const;
  const LlmServeConfig& config() const { return config_; }

 private:
  void run();

  const LlmServeConfig config_;
  const size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;       // guarded by mu_
  bool stop_ = false;           // guarded by mu_
  std::string state_ = "loading";  // guarded by mu_
  std::string model_name_;      // guarded by mu_
  std::unique_ptr<LlmEngine> engine_;  // worker thread only
  std::thread worker_;
};

}  // namespace hearth
