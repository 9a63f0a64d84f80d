// Issue 10: optional TLS for the companion API (api.tls), against the real
// hearthd over real sockets. The client is a small blocking OpenSSL client
// written here (HTTP/1.1 and RFC 6455 on top of SSL_read/SSL_write) that
// verifies the server against the certificate file hearthd generated.
//
// - a self-signed certificate is generated on first run (key mode 0600, SAN
//   with localhost/127.0.0.1, ~10 years), HTTPS and WSS work with it, a token
//   is needed as over plain HTTP, and a second start reuses the same pair;
// - plain HTTP on the TLS port gets a plain 400 and the server keeps serving;
//   silent or half-handshake clients are dropped after the handshake timeout
//   without holding up anyone else; TLS < 1.2 is refused;
// - corrupt, mismatched, half or missing files stop hearthd with exit 1 and a
//   message naming the file.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "companion_test_util.h"
#include "ws_client.h"
#include "tls.h"

namespace hearth::testing {
namespace {

using nlohmann::json;

// `cert` as DER bytes ("" for null); frees `cert`.
std::string take_der(X509* cert) {
  if (!cert) return "";
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  std::string out = n > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<size_t>(n)) : "";
  OPENSSL_free(der);
  X509_free(cert);
  return out;
}

// A blocking TLS (or plain TCP) client connection to 127.0.0.1:port. Reads
// time out after 5 s (SO_RCVTIMEO), so no test can hang.
class TlsConn {
 public:
  struct Options {
    std::string ca_file;            // trust exactly this certificate; "" = no verification
    std::string verify_host;        // a DNS name to check the certificate against ("" = none)
    std::string verify_ip;          // an IP address to check it against ("" = none)
    int max_version = 0;            // e.g. TLS1_1_VERSION to offer only old protocols
  };

  TlsConn() = default;
  ~TlsConn() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  TlsConn(const TlsConn&) = delete;
  TlsConn& operator=(const TlsConn&) = delete;

  bool connect_tcp(uint16_t port) {
    fd_ = connect_loopback(port);
    if (fd_ < 0) return false;
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return true;
  }

  // TCP connect + TLS handshake; false with `error` set on failure.
  bool connect(uint16_t port, const Options& o) {
    if (!connect_tcp(port)) {
      error = "connect failed";
      return false;
    }
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (o.max_version) {
      // Let the client really offer old protocols, so a failure is the server's refusal.
      SSL_CTX_set_security_level(ctx_, 0);
      SSL_CTX_set_cipher_list(ctx_, "DEFAULT:@SECLEVEL=0");
      SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx_, o.max_version);
    }
    if (!o.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx_, o.ca_file.c_str(), nullptr) != 1) {
        error = "cannot load " + o.ca_file;
        return false;
      }
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (!o.verify_host.empty()) {
      SSL_set_tlsext_host_name(ssl_, o.verify_host.c_str());
      SSL_set1_host(ssl_, o.verify_host.c_str());
    }
    if (!o.verify_ip.empty()) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), o.verify_ip.c_str());
    ERR_clear_error();
    if (SSL_connect(ssl_) != 1) {
      char buf[256];
      ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
      error = buf;
      const long v = SSL_get_verify_result(ssl_);
      if (v != X509_V_OK) error += std::string(" (verify: ") + X509_verify_cert_error_string(v) + ")";
      return false;
    }
    return true;
  }

  bool send_all(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      int n = ssl_ ? SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off))
                   : static_cast<int>(::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL));
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Exactly n bytes, or nullopt (EOF, error or the 5 s read timeout).
  std::optional<std::string> read_exact(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      int r = SSL_read(ssl_, out.data() + got, static_cast<int>(n - got));
      if (r <= 0) return std::nullopt;
      got += static_cast<size_t>(r);
    }
    return out;
  }

  // An HTTP/1.1 request on this connection; the status (-1 on failure) and body.
  std::pair<int, std::string> http(const std::string& method, const std::string& target, const std::string& token = "",
                                   const std::string& body = "") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    if (!body.empty()) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (!send_all(req)) return {-1, "send failed"};
    std::string head = read_head();
    if (head.size() < 12) return {-1, "no response head"};
    const int status = std::atoi(head.substr(9, 3).c_str());
    size_t length = 0;
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (size_t p = lower.find("content-length:"); p != std::string::npos) {
      length = std::strtoul(lower.c_str() + p + 15, nullptr, 10);
    }
    std::optional<std::string> b = read_exact(length);
    return {status, b.value_or("<truncated body>")};
  }

  // The response head up to the blank line, read byte by byte.
  std::string read_head() {
    std::string head;
    while (head.size() < 16384 && head.find("\r\n\r\n") == std::string::npos) {
      std::optional<std::string> c = read_exact(1);
      if (!c) break;
      head += *c;
    }
    return head;
  }

  // WebSocket: the upgrade, then masked text frames out and frames in.
  int ws_handshake(uint16_t port, const std::string& path = "/api/v1/events") {
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (!send_all(req)) return -1;
    std::string head = read_head();
    return head.size() < 12 ? -1 : std::atoi(head.substr(9, 3).c_str());
  }
  bool ws_send_text(const std::string& payload) {
    std::string f;
    f += static_cast<char>(0x81);
    const size_t n = payload.size();
    if (n < 126) {
      f += static_cast<char>(0x80 | n);
    } else {
      f += static_cast<char>(0x80 | 126);
      f += static_cast<char>((n >> 8) & 0xff);
      f += static_cast<char>(n & 0xff);
    }
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    for (unsigned char m : mask) f += static_cast<char>(m);
    for (size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
    return send_all(f);
  }
  // The next text message (pings answered, others skipped); nullopt on close/timeout.
  std::optional<json> ws_read_json() {
    for (int frames = 0; frames < 1000; ++frames) {
      std::optional<std::string> h = read_exact(2);
      if (!h) return std::nullopt;
      const int opcode = static_cast<unsigned char>((*h)[0]) & 0x0f;
      uint64_t len = static_cast<unsigned char>((*h)[1]) & 0x7f;
      if (len == 126 || len == 127) {
        std::optional<std::string> ext = read_exact(len == 126 ? 2 : 8);
        if (!ext) return std::nullopt;
        len = 0;
        for (char c : *ext) len = (len << 8) | static_cast<unsigned char>(c);
      }
      std::optional<std::string> payload = read_exact(static_cast<size_t>(len));
      if (!payload) return std::nullopt;
      if (opcode == 8) return std::nullopt;
      if (opcode == 1) return json::parse(*payload, nullptr, false);
    }
    return std::nullopt;
  }

  // The server's certificate as DER bytes.
  std::string peer_der() { return take_der(SSL_get1_peer_certificate(ssl_)); }
  int version() const { return SSL_version(ssl_); }
  int fd() const { return fd_; }

  std::string error;

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

// The certificate in a PEM file as DER bytes ("" if unreadable).
std::string file_der(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return "";
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return take_der(cert);
}

// Waits (bounded) until the server closes `fd`, discarding what it sends:
// true on EOF/reset, false if it is still open after `deadline`.
bool closed_by_peer(int fd, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[512];
    if (::recv(fd, buf, sizeof(buf), 0) <= 0) return true;
  }
}

int file_mode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

json tls_config(bool loopback_trusted) {
  json c = companion_config(loopback_trusted);
  c["api"]["tls"] = {{"enabled", true}, {"handshake_timeout_ms", 1000}};
  return c;
}

class CompanionTls : public ::testing::Test {
 protected:
  TlsConn::Options trust_generated(const std::string& ip = "127.0.0.1") {
    TlsConn::Options o;
    o.ca_file = dir_.file("tls-cert.pem");
    o.verify_ip = ip;
    return o;
  }
  TempDir dir_;
};

TEST_F(CompanionTls, GeneratesACertificateAndServesHttpsAndWss) {
  Daemon d(dir_);
  ASSERT_TRUE(d.start(tls_config(/*loopback_trusted=*/false)));
  const std::string cert = dir_.file("tls-cert.pem"), key = dir_.file("tls-key.pem");
  ASSERT_TRUE(std::filesystem::exists(cert)) << d.process().err();
  ASSERT_TRUE(std::filesystem::exists(key));
  EXPECT_EQ(file_mode(key), 0600);
  EXPECT_NE(d.process().err().find("generated a self-signed certificate"), std::string::npos) << d.process().err();
  EXPECT_NE(d.process().err().find("https://127.0.0.1:"), std::string::npos) << d.process().err();

  // What was generated: CN = host name, SAN localhost / 127.0.0.1 / ::1, ~10 years.
  FILE* f = std::fopen(cert.c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(x, nullptr);
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
  EXPECT_EQ(std::string(cn), local_hostname().substr(0, 64));
  EXPECT_EQ(X509_check_host(x, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "::1", 0), 1);
  EXPECT_NE(X509_check_ip_asc(x, "10.1.2.3", 0), 1);
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
  EXPECT_GE(days, 9 * 365);
  EXPECT_LE(days, 11 * 365);
  X509_free(x);

  // Health over HTTPS, verified against the generated certificate, by IP and by name.
  {
    TlsConn c;
    ASSERT_TRUE(c.connect(d.port(), trust_generated())) << c.error;
    EXPECT_GE(c.version(), TLS1_2_VERSION);
    auto [status, body] = c.http("GET", "/api/v1/health");
    EXPECT_EQ(status, 200) << body;
    EXPECT_EQ(json::parse(body, nullptr, false).value("status", ""), "ok") << body;
    EXPECT_EQ(c.peer_der(), file_der(cert));
  }
  {
    TlsConn::Options o;
    o.ca_file = cert;
    o.verify_host = "localhost";
    TlsConn c;
    ASSERT_TRUE(c.connect(d.port(), o)) << c.error;
    EXPECT_EQ(c.http("GET", "/api/v1/health").first, 200);
  }
  {  // The client really verifies: a name the certificate does not carry fails.
    TlsConn::Options o;
    o.ca_file = cert;
    o.verify_host = "not-this-hub.example";
    TlsConn c;
    EXPECT_FALSE(c.connect(d.port(), o));
  }

  // Authentication over TLS is the same as over plain HTTP.
  const std::string token = mint_token(dir_, "tls", "control");
  ASSERT_FALSE(token.empty());
  {
    TlsConn c;
    ASSERT_TRUE(c.connect(d.port(), trust_generated())) << c.error;
    EXPECT_EQ(c.http("GET", "/api/v1/devices").first, 401);  // keep-alive: same connection next
    auto [status, body] = c.http("GET", "/api/v1/devices", token);
    ASSERT_EQ(status, 200) << body;
    EXPECT_NE(body.find("light.hallway"), std::string::npos);
  }

  {  // A refused upgrade is answered over TLS too.
    TlsConn c;
    ASSERT_TRUE(c.connect(d.port(), trust_generated())) << c.error;
    EXPECT_EQ(c.ws_handshake(d.port(), "/api/v1/nowhere"), 404);
  }

  // WebSocket over TLS: auth, subscribe, a state change after a toggle over HTTPS.
  TlsConn ws;
  ASSERT_TRUE(ws.connect(d.port(), trust_generated())) << ws.error;
  ASSERT_EQ(ws.ws_handshake(d.port()), 101);
  EXPECT_EQ(ws.ws_read_json().value_or(json()).value("type", ""), "auth_required");
  ASSERT_TRUE(ws.ws_send_text(json{{"type", "auth"}, {"access_token", token}}.dump()));
  ASSERT_EQ(ws.ws_read_json().value_or(json()).value("type", ""), "auth_ok");
  ASSERT_TRUE(ws.ws_send_text(json{{"type", "subscribe"}, {"events", {"state_changed"}}}.dump()));
  ASSERT_EQ(ws.ws_read_json().value_or(json()).value("type", ""), "subscribed");
  {
    TlsConn c;
    ASSERT_TRUE(c.connect(d.port(), trust_generated())) << c.error;
    auto [status, body] =
        c.http("POST", "/api/v1/devices/light.hallway/actions", token, json{{"action", "turn_on"}}.dump());
    ASSERT_EQ(status, 200) << body;
  }
  json event;
  for (int i = 0; i < 50 && !event.is_object(); ++i) {
    std::optional<json> m = ws.ws_read_json();
    ASSERT_TRUE(m.has_value()) << "the WebSocket closed before the state change arrived";
    if (m->value("type", "") == "event" && (*m)["event"].value("type", "") == "state_changed") event = (*m)["event"];
  }
  ASSERT_TRUE(event.is_object());
  EXPECT_EQ(event["data"]["device"], "light.hallway");
  EXPECT_EQ(event["data"]["new"], "on");
  ASSERT_TRUE(ws.ws_send_text(R"({"type":"ping"})"));
  EXPECT_EQ(ws.ws_read_json().value_or(json()).value("type", ""), "pong");
  ASSERT_TRUE(d.stop());

  // A second start reuses the pair: same files, same certificate served, nothing generated.
  const std::string cert_text = read_file(cert), key_text = read_file(key);
  Daemon again(dir_, "again");
  ASSERT_TRUE(again.start(tls_config(false)));
  EXPECT_EQ(again.process().err().find("generated a self-signed"), std::string::npos) << again.process().err();
  EXPECT_EQ(read_file(cert), cert_text);
  EXPECT_EQ(read_file(key), key_text);
  {
    TlsConn c;
    ASSERT_TRUE(c.connect(again.port(), trust_generated())) << c.error;
    EXPECT_EQ(c.peer_der(), file_der(cert));
    EXPECT_EQ(c.http("GET", "/api/v1/health").first, 200);
  }
  EXPECT_TRUE(again.stop());
}

TEST_F(CompanionTls, PlainHttpSilentAndOldClientsFailAloneAndTheServerKeepsServing) {
  Daemon d(dir_);
  ASSERT_TRUE(d.start(tls_config(/*loopback_trusted=*/true)));

  // Plain HTTP on the TLS port: a plain 400 that says so.
  HttpReply plain = d.request("GET", "/api/v1/health");
  EXPECT_EQ(plain.status, 400) << plain.body;
  EXPECT_EQ(error_code(plain), "tls_required") << plain.body;

  // A client that connects and says nothing, and one that stops half-way
  // through a ClientHello: both dropped after the handshake timeout...
  TlsConn silent, half;
  ASSERT_TRUE(silent.connect_tcp(d.port()));
  ASSERT_TRUE(half.connect_tcp(d.port()));
  const std::string partial_hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  ASSERT_TRUE(half.send_all(partial_hello));
  // ...while others are served meanwhile (loopback trust works as over plain HTTP).
  {
    TlsConn c;
    ASSERT_TRUE(c.connect(d.port(), trust_generated())) << c.error;
    auto [status, body] = c.http("GET", "/api/v1/devices");
    EXPECT_EQ(status, 200) << body;
  }
  EXPECT_TRUE(closed_by_peer(silent.fd(), std::chrono::milliseconds(8000)));
  EXPECT_TRUE(closed_by_peer(half.fd(), std::chrono::milliseconds(8000)));

  // Garbage that starts like a TLS record: the handshake fails, the connection closes.
  {
    TlsConn junk;
    ASSERT_TRUE(junk.connect_tcp(d.port()));
    std::string bytes("\x16\x03\x01\x00\x20\x01", 6);  // a ClientHello header...
    std::mt19937 rng(7);
    for (int i = 0; i < 31; ++i) bytes += static_cast<char>(rng() & 0xff);  // ...then noise
    ASSERT_TRUE(junk.send_all(bytes));
    EXPECT_TRUE(closed_by_peer(junk.fd(), std::chrono::milliseconds(8000)));
  }

  // TLS 1.1 and older are refused by the server (the client offers them for real).
  {
    TlsConn::Options o;
    o.max_version = TLS1_1_VERSION;
    TlsConn old;
    EXPECT_FALSE(old.connect(d.port(), o));
    EXPECT_EQ(old.error.find("no protocols available"), std::string::npos) << old.error;
  }
  {  // TLS 1.2 exactly is fine.
    TlsConn::Options o = trust_generated();
    o.max_version = TLS1_2_VERSION;
    TlsConn c;
    ASSERT_TRUE(c.connect(d.port(), o)) << c.error;
    EXPECT_EQ(c.version(), TLS1_2_VERSION);
    EXPECT_EQ(c.http("GET", "/api/v1/health").first, 200);
  }

  // Still serving after all of it.
  TlsConn c;
  ASSERT_TRUE(c.connect(d.port(), trust_generated())) << c.error;
  EXPECT_EQ(c.http("GET", "/api/v1/health").first, 200);
  EXPECT_TRUE(d.stop());
}

// Starts hearthd with `cfg` and expects it to refuse: exit 1, stderr naming `file`.
void expect_refusal(const TempDir& dir, const std::string& name, const json& cfg, const std::string& file,
                    const std::string& why) {
  SCOPED_TRACE(name);
  Daemon d(dir, name);
  EXPECT_FALSE(d.start(cfg));
  std::optional<int> code = d.process().wait_exit(kExitDeadline);
  ASSERT_TRUE(code.has_value()) << "hearthd kept running";
  EXPECT_EQ(*code, 1);
  const std::string err = d.process().err();
  EXPECT_NE(err.find(file), std::string::npos) << err;
  EXPECT_NE(err.find(why), std::string::npos) << err;
  EXPECT_EQ(err.find("terminate called"), std::string::npos) << err;
}

TEST_F(CompanionTls, BadCertificateOrKeyFilesStopHearthdWithTheFileNamed) {
  // Two valid pairs to mix up, made by the same generator hearthd uses.
  ASSERT_TRUE(generate_self_signed_certificate(dir_.file("a-cert.pem"), dir_.file("a-key.pem"), "hub-a"));
  ASSERT_TRUE(generate_self_signed_certificate(dir_.file("b-cert.pem"), dir_.file("b-key.pem"), "hub-b"));
  EXPECT_EQ(file_mode(dir_.file("a-key.pem")), 0600);
  EXPECT_FALSE(generate_self_signed_certificate(dir_.file("a-cert.pem"), dir_.file("c-key.pem"), "x"))
      << "must never overwrite a certificate";
  write_file(dir_.file("junk-cert.pem"), "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
  write_file(dir_.file("junk-key.pem"), "this is not a key\n");

  auto with = [&](const std::string& cert, const std::string& key) {
    json c = tls_config(false);
    c["api"]["tls"]["cert_file"] = cert;  // relative to the config file's directory
    c["api"]["tls"]["key_file"] = key;
    return c;
  };
  expect_refusal(dir_, "junkcert", with("junk-cert.pem", "a-key.pem"), dir_.file("junk-cert.pem"),
                 "not a valid PEM certificate");
  {  // `hearth check-config` finds it too, without starting anything.
    CliRun r = run_cli(dir_, {"check-config", dir_.file("junkcert.json")});
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find(dir_.file("junk-cert.pem")), std::string::npos) << r.out << r.err;
    write_file(dir_.file("goodpair.json"), with("a-cert.pem", "a-key.pem").dump());
    CliRun ok = run_cli(dir_, {"check-config", dir_.file("goodpair.json")});
    EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  }
  expect_refusal(dir_, "junkkey", with("a-cert.pem", "junk-key.pem"), dir_.file("junk-key.pem"),
                 "not a valid unencrypted PEM private key");
  expect_refusal(dir_, "mismatch", with("a-cert.pem", "b-key.pem"), dir_.file("b-key.pem"),
                 "does not belong to the certificate");
  expect_refusal(dir_, "missing", with("a-cert.pem", "nowhere-key.pem"), dir_.file("nowhere-key.pem"), "not found");
  {
    json c = tls_config(false);
    c["api"]["tls"]["cert_file"] = "a-cert.pem";  // without key_file
    expect_refusal(dir_, "onlycert", c, "$.api.tls.key_file", "set both");
  }
  {
    json c = tls_config(false);
    c["api"]["tls"]["handshake_timeout_ms"] = 5;
    expect_refusal(dir_, "timeout", c, "$.api.tls.handshake_timeout_ms", "must be in [100, 600000]");
  }
  {  // An unknown key in api.tls is a config error like everywhere else.
    json c = tls_config(false);
    c["api"]["tls"]["cert"] = "a-cert.pem";
    expect_refusal(dir_, "unknownkey", c, "$.api.tls.cert", "");
  }
  // Half of the default pair: never overwritten, named.
  std::filesystem::copy_file(dir_.file("a-cert.pem"), dir_.file("tls-cert.pem"));
  expect_refusal(dir_, "half", tls_config(false), dir_.file("tls-key.pem"), "does not exist");
  EXPECT_FALSE(std::filesystem::exists(dir_.file("tls-key.pem")));

  // A good explicit pair works.
  Daemon ok(dir_, "ok");
  ASSERT_TRUE(ok.start(with("a-cert.pem", "a-key.pem"))) << ok.process().err();
  TlsConn c;
  TlsConn::Options o;
  o.ca_file = dir_.file("a-cert.pem");
  o.verify_host = "localhost";
  ASSERT_TRUE(c.connect(ok.port(), o)) << c.error;
  EXPECT_EQ(c.http("GET", "/api/v1/health").first, 200);
  EXPECT_TRUE(ok.stop());
}

TEST_F(CompanionTls, DisabledMeansPlainHttpAndNoFiles) {
  json cfg = companion_config(true);
  cfg["api"]["tls"] = {{"enabled", false}};
  Daemon d(dir_);
  ASSERT_TRUE(d.start(cfg));
  EXPECT_EQ(d.get_json("/api/v1/health").value("status", ""), "ok");
  EXPECT_NE(d.process().err().find("http://127.0.0.1:"), std::string::npos);
  TlsConn c;
  EXPECT_FALSE(c.connect(d.port(), TlsConn::Options{}));  // no TLS spoken there
  EXPECT_EQ(d.get_json("/api/v1/health").value("status", ""), "ok");
  EXPECT_TRUE(d.stop());
  EXPECT_FALSE(std::filesystem::exists(dir_.file("tls-cert.pem")));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("tls-key.pem")));
}

}  // namespace
}  // namespace hearth::testing
