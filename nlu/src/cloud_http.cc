// nlu/src/cloud_http.cc: see cloud_http.h.
#include "cloud_http.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace hearth::nlu {

Result<HttpTarget> parse_url(const std::string& url) {
  const std::string http = "http://";
  if (url.rfind("https://", 0) == 0)
    return Error{Code::kBadInput, "url '" + url + "': https is not built into the cloud client; point base_url at an "
                                  "http:// gateway (a TLS proxy on the hub)"};
  if (url.rfind(http, 0) != 0) return Error{Code::kBadInput, "url '" + url + "': must start with http://"};
  std::string rest = url.substr(http.size());
  HttpTarget t;
  const size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  t.path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!t.path.empty() && t.path.back() == '/') t.path.pop_back();
  const size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    t.host = hostport.substr(0, colon);
    t.port = hostport.substr(colon + 1);
  } else {
    t.host = hostport;
  }
  if (t.host.empty()) return Error{Code::kBadInput, "url '" + url + "': no host"};
  if (t.port.empty() || t.port.size() > 5 || t.port.find_first_not_of("0123456789") != std::string::npos)
    return Error{Code::kBadInput, "url '" + url + "': bad port '" + t.port + "'"};
  return t;
}

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool iequals_prefix(const std::string& line, const char* name) {
  const size_t n = std::strlen(name);
  if (line.size() < n) return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  return true;
}

}  // namespace

Result<HttpResponse> parse_http_response(const std::string& raw) {
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return Error{Code::kIo, "http: reply ended inside the headers"};
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return Error{Code::kBadInput, "http: not an HTTP/1.x reply"};
  HttpResponse r;
  const std::string code = raw.substr(9, 3);
  if (code.find_first_not_of("0123456789") != std::string::npos)
    return Error{Code::kBadInput, "http: bad status code '" + code + "'"};
  r.status = std::stoi(code);
  bool chunked = false;
  long long length = -1;
  size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    const size_t eol = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, eol - pos);
    pos = eol + 2;
    if (iequals_prefix(line, "content-length:")) {
      const std::string v = line.substr(15);
      const size_t b = v.find_first_not_of(' ');
      if (b == std::string::npos || v.find_first_not_of("0123456789 ", b) != std::string::npos || v.size() - b > 12)
        return Error{Code::kBadInput, "http: bad Content-Length '" + v + "'"};
      length = std::stoll(v.substr(b));
    } else if (iequals_prefix(line, "transfer-encoding:") && line.find("chunked") != std::string::npos) {
      chunked = true;
    }
  }
  const std::string body = raw.substr(head_end + 4);
  if (chunked) {
    size_t p = 0;
    for (;;) {
      const size_t eol = body.find("\r\n", p);
      if (eol == std::string::npos) return Error{Code::kIo, "http: chunked body cut short"};
      const std::string hex = body.substr(p, eol - p).substr(0, body.substr(p, eol - p).find(';'));
      if (hex.empty() || hex.size() > 8 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        return Error{Code::kBadInput, "http: bad chunk size '" + hex + "'"};
      const size_t n = std::stoul(hex, nullptr, 16);
      p = eol + 2;
      if (n == 0) break;
      if (body.size() < p + n + 2) return Error{Code::kIo, "http: chunk cut short"};
      r.body.append(body, p, n);
      p += n + 2;
    }
  } else if (length >= 0) {
    if (static_cast<long long>(body.size()) < length) return Error{Code::kIo, "http: body cut short"};
    r.body = body.substr(0, static_cast<size_t>(length));
  } else {
    r.body = body;
  }
  return r;
}

Result<HttpResponse> http_post(const HttpTarget& target, const std::string& path, const std::string& body,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int e = ::getaddrinfo(target.host.c_str(), target.port.c_str(), &hints, &res); e != 0)
    return Error{Code::kUnavailable, "http: resolving " + target.host + ": " + gai_strerror(e)};
  Fd sock;
  int last_err = 0;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, ms_left(deadline)) == 1) {
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
          sock.fd = fd;
          break;
        }
        last_err = err;
      } else {
        last_err = ETIMEDOUT;
      }
    } else {
      last_err = errno;
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (sock.fd < 0) {
    if (last_err == ETIMEDOUT) return Error{Code::kTimeout, "http: connecting to " + target.host + ": timed out"};
    return Error{Code::kUnavailable, "http: connecting to " + target.host + ":" + target.port + ": " +
                                         std::strerror(last_err)};
  }
  std::string req = "POST " + target.path + path + " HTTP/1.1\r\nHost: " + target.host + ":" + target.port +
                    "\r\nConnection: close\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
                    "Content-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n" + body;
  size_t sent = 0;
  while (sent < req.size()) {
    pollfd p{sock.fd, POLLOUT, 0};
    if (::poll(&p, 1, ms_left(deadline)) != 1) return Error{Code::kTimeout, "http: sending: timed out"};
    const ssize_t n = ::send(sock.fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return Error{Code::kIo, std::string("http: send: ") + std::strerror(errno)};
    if (n > 0) sent += static_cast<size_t>(n);
  }
  constexpr size_t kMaxReply = 4 << 20;
  std::string raw;
  char buf[8192];
  for (;;) {
    pollfd p{sock.fd, POLLIN, 0};
    const int pr = ::poll(&p, 1, ms_left(deadline));
    if (pr == 0) return Error{Code::kTimeout, "http: waiting for the reply: timed out"};
    if (pr < 0 && errno != EINTR) return Error{Code::kIo, std::string("http: poll: ") + std::strerror(errno)};
    const ssize_t n = ::recv(sock.fd, buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      if (errno == ECONNRESET && !raw.empty()) break;
      return Error{Code::kIo, std::string("http: recv: ") + std::strerror(errno)};
    }
    raw.append(buf, static_cast<size_t>(n));
    if (raw.size() > kMaxReply) return Error{Code::kTooLarge, "http: reply larger than 4 MiB"};
    // stop early when a Content-Length reply is complete (server may keep the socket)
    const size_t he = raw.find("\r\n\r\n");
    if (he != std::string::npos) {
      auto r = parse_http_response(raw);
      if (r && raw.find("ransfer-Encoding: chunked") == std::string::npos &&
          raw.find("ransfer-encoding: chunked") == std::string::npos) {
        const std::string head = raw.substr(0, he);
        std::string lower;
        for (char c : head) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        if (lower.find("content-length:") != std::string::npos) return r;
      }
    }
  }
  return parse_http_response(raw);
}

}  // namespace hearth::nlu
