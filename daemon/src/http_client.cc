// The only translation unit of hearth_http_client that includes Beast.
#include "hearth/daemon/http_client.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hearth {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

Error transport_error(const HttpUrl& url, const char* step, const beast::error_code& ec) {
  const std::string where = "http://" + url.host + ":" + url.port + ": " + step;
  if (ec == beast::error::timeout) return Error{Code::kTimeout, where + ": timed out"};
  if (ec == asio::error::connection_refused) return Error{Code::kUnavailable, where + ": connection refused"};
  return Error{Code::kIo, where + ": " + ec.message()};
}

}  // namespace

std::string HttpReply::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return "";
}

Result<HttpUrl> parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) {
    return Error{Code::kBadInput, "url '" + url + "': only http:// URLs are supported"};
  }
  std::string rest = url.substr(scheme.size());
  HttpUrl out;
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    out.base_path = rest.substr(slash);
    while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  }
  if (authority.empty()) return Error{Code::kBadInput, "url '" + url + "': no host"};
  size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return Error{Code::kBadInput, "url '" + url + "': unterminated [ipv6]"};
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') out.port = authority.substr(close + 2);
  } else if (colon != std::string::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  } else {
    out.host = authority;
    out.port = "80";
  }
  if (out.port.empty() || !std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error{Code::kBadInput, "url '" + url + "': bad port"};
  }
  return out;
}

Result<HttpReply> http_request(const HttpUrl& url, const HttpCall& call) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  std::optional<Error> failure;

  req.method_string(call.method);
  req.target(url.base_path + call.target);
  req.version(11);
  req.set(http::field::host, url.host + ":" + url.port);
  req.set(http::field::user_agent, "hearth-cli");
  req.set(http::field::connection, "close");
  for (const auto& [k, v] : call.headers) req.set(k, v);
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT") {
    if (!call.content_type.empty()) req.set(http::field::content_type, call.content_type);
    req.body() = call.body;
  }
  req.prepare_payload();

  stream.expires_after(call.timeout);
  resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      failure = transport_error(url, "resolve", ec);
      return;
    }
    stream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        failure = transport_error(url, "connect", ec);
        return;
      }
      http::async_write(stream, req, [&](beast::error_code ec, size_t) {
        // A server may answer (413) and close before reading the whole body;
        // the answer is still worth reading, so go on to the read on a write error.
        (void)ec;
        http::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) {
          if (ec) failure = transport_error(url, "read", ec);
        });
      });
    });
  });
  ioc.run();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (failure) return *failure;

  HttpReply reply;
  const auto& res = parser.get();
  reply.status = static_cast<int>(res.result_int());
  reply.body = res.body();
  for (const auto& field : res) reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return reply;
}

}  // namespace hearth
