#include "llm_service.h"

#include "hearth/common/log.h"

namespace hearth {

LlmService::LlmService(const LlmServeConfig& config, size_t max_queue)
    : config_(config), max_queue_(max_queue), worker_([this] { run(); }) {}

LlmService::~LlmService() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

Result<void> LlmService::submit(Job job) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != "ready" && state_ != "loading") return Error{Code::kUnavailable, "the model is not available: " + state_};
  if (stop_) return Error{Code::kUnavailable, "shutting down"};
  if (queue_.size() >= max_queue_)
    return Error{Code::kUnavailable, "busy: " + std::to_string(queue_.size()) + " requests are waiting; retry later"};
  queue_.push_back(std::move(job));
  cv_.notify_one();
  return {};
}

std::string LlmService::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

bool LlmService::ready() const { return status() == "ready"; }

std::string LlmService::model_name() const {
  std::lock_guard<std::mutex> lock(mu_);
  return model_name_;
}

void LlmService::run() {
  LlmEngineOptions o;
  o.model_path = config_.model;
  o.threads = config_.threads;
  o.ctx = config_.ctx;
  o.chat_template = config_.chat_template;
  o.kv_f16 = config_.kv_cache != "f32";
  auto e = LlmEngine::open(o);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (e) {
      engine_ = std::move(*e);
      model_name_ = engine_->model_name();
      state_ = "ready";
      HEARTH_LOG_INFO("llm", "serving %s (chat template %s, %d threads, ctx %d)", model_name_.c_str(),
                      engine_->chat_template().c_str(), config_.threads, config_.ctx);
    } else {
      state_ = e.error().message;
      HEARTH_LOG_ERROR("llm", "cannot load the model: %s", e.error().message.c_str());
    }
  }
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) {
        for (Job& j : queue_) j.done(Error{Code::kUnavailable, "shutting down"});
        queue_.clear();
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    if (!engine_) {
      job.done(Error{Code::kUnavailable, "the model is not available: " + status()});
      continue;
    }
    auto on_text = [&](std::string_view d) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) return false;
      }
      return job.on_text ? job.on_text(d) : true;
    };
    job.done(engine_->chat(job.request, on_text));
  }
}

}  // namespace hearth
