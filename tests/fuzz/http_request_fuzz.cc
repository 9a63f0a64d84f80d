// libFuzzer target (issue 10): raw bytes as an HTTP/1.1 request through the
// same Beast parser settings HttpServer uses (8 KiB headers, a body limit),
// then the fields the API reads (target, Authorization, Host, Origin)
// through the auth and route parsers. Must never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "api_static.h"
#include "auth.h"
#include "auth_routes.h"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!parser.is_header_done()) return 0;
  const auto& req = parser.get();
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  (void)hearth::match_route(std::string(req.method_string()), path);
  (void)hearth::find_web_file(path);
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    (void)hearth::auth_detail::bearer_token(std::string(it->value()));
  }
  if (auto it = req.find(http::field::host); it != req.end()) {
    (void)hearth::auth_detail::is_loopback_host(std::string(it->value()));
  }
  return 0;
}
