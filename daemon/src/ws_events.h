// daemon/src/ws_events.h: the WebSocket event stream /api/v1/events, on top
// of the EventHub. Private to daemon/. No Beast here: the sockets, frames,
// pings and bounded queues are HttpServer's (WsPeer); this file is the
// protocol, Home Assistant style:
//
//   server → {"type": "auth_required", "version"}
//   client → {"type": "auth", "access_token": "hth_..."}
//   server → {"type": "auth_ok", "scope"} | {"type": "auth_invalid", "message"} + close 1008
//   client → {"type": "subscribe", "events": ["state_changed", ...]}   (absent or [] = every type)
//   server → {"type": "subscribed", "events": [...]}
//   server → {"type": "event", "event": {"seq", "time_ms", "type", "data"}}
//   client → {"type": "ping"}  → {"type": "pong"}
// Anything else → {"type": "error", "message"}; a client that sends no auth
// message within 10 s, or whose first message is not "auth", is closed.
//
// Fan-out: one hub subscriber serializes each event once and hands the same
// text to every interested client (WsPeer::send never blocks; a client that
// falls behind is dropped by the server with a reason).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "auth.h"
#include "event_hub.h"
#include "hearth/daemon/http_server.h"

namespace hearth {

// One client message, parsed. Exposed for tests and the fuzz target.
struct WsClientMessage {
  enum class Kind { kInvalid, kAuth, kSubscribe, kPing };
  Kind kind = Kind::kInvalid;
  std::string access_token;          // kAuth
  std::vector<std::string> events;   // kSubscribe (empty = all)
  std::string error;                 // kInvalid: why
};
WsClientMessage parse_ws_client_message(std::string_view text);

// Latency figures per event type, from events whose data carries
// "latency_ms" (or "duration_ms"): a Prometheus histogram.
struct LatencyHistogram {
  static constexpr double kBoundsMs[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000};
  static constexpr int kBuckets = sizeof(kBoundsMs) / sizeof(kBoundsMs[0]);
  uint64_t counts[kBuckets + 1] = {};  // last = +Inf
  uint64_t n = 0;
  double sum_ms = 0;
  void observe(double ms);
};

class EventStream {
 public:
  // `executor` runs the auth deadline timers.
  EventStream(EventHub& hub, Auth& auth, boost::asio::any_io_executor executor);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // The WsFactory of HttpServer: accepts /api/v1/events, refuses the rest.
  std::unique_ptr<WsHandler> open(const HttpRequestData& upgrade, std::shared_ptr<WsPeer> peer,
                                  HttpResponseData* refusal);

  struct Stats {
    size_t clients = 0;          // authenticated clients
    uint64_t auth_failed = 0;
    uint64_t events_delivered = 0;
    uint64_t events_dropped = 0; // sends refused because a queue was full
    std::map<std::string, uint64_t> events_by_type;
    std::map<std::string, LatencyHistogram> latency_by_type;
  };
  Stats stats() const;

  struct Client;  // one connection's state (ws_events.cc)

 private:
  friend class EventsHandler;
  void on_event(const EventHub::EventPtr& ev);
  void add_client(const std::shared_ptr<Client>& c);
  void remove_client(uint64_t id);

  EventHub& hub_;
  Auth& auth_;
  boost::asio::any_io_executor executor_;
  uint64_t subscription_ = 0;
  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<Client>> clients_;  // authenticated only
  uint64_t next_id_ = 1;
  std::atomic<uint64_t> auth_failed_{0}, delivered_{0}, dropped_{0};
  std::map<std::string, uint64_t> by_type_;                // guarded by mu_
  std::map<std::string, LatencyHistogram> latency_;        // guarded by mu_
};

}  // namespace hearth
