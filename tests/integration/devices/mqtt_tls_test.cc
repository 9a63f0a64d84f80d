// MQTT over TLS against a real mosquitto with a CA and a server certificate
// generated at test time by `openssl` (Debian package openssl): the client
// verifies the broker against the CA; a client given another CA refuses the
// broker with a clear reason and never counts as connected.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "fakes/processes.h"
#include "hearth/devices/protocols.h"

namespace hearth {
namespace {

using std::chrono::milliseconds;

bool wait_for(const std::function<bool()>& ok, milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return ok();
}

// Two CAs; the server certificate (SAN IP 127.0.0.1 and localhost) is signed by ca1.
bool make_certs(const std::string& dir) {
  const std::string script =
      "set -e; cd '" + dir + "'\n"
      "for ca in ca1 ca2; do\n"
      "  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj \"/CN=Hearth Test $ca\" "
      "-keyout $ca.key -out $ca.crt\n"
      "done\n"
      "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr\n"
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext\n"
      "openssl x509 -req -in server.csr -CA ca1.crt -CAkey ca1.key -CAcreateserial -days 2 "
      "-extfile san.ext -out server.crt\n"
      // mosquitto started as root drops to its own user: let it read (test-only keys).
      "chmod 755 .; chmod 644 *.crt *.key\n";
  std::ofstream(dir + "/certs.sh") << script;
  return std::system(("sh '" + dir + "/certs.sh' >'" + dir + "/openssl.log' 2>&1").c_str()) == 0;
}

class MqttTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::MosquittoBroker::available()) GTEST_SKIP() << "mosquitto not installed";
    if (std::system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "openssl not installed (Debian: openssl)";
    ASSERT_TRUE(make_certs(dir_.path())) << testing_log("openssl.log");
    port_ = test::free_loopback_port();
    std::ofstream conf(dir_.path() + "/mosquitto.conf");
    conf << "listener " << port_ << " 127.0.0.1\n"
         << "allow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\n"
         << "cafile " << dir_.path() << "/ca1.crt\n"
         << "certfile " << dir_.path() << "/server.crt\n"
         << "keyfile " << dir_.path() << "/server.key\n";
    conf.close();
    ASSERT_TRUE(broker_.spawn({test::kMosquittoPath, "-c", dir_.path() + "/mosquitto.conf"},
                              dir_.path() + "/mosquitto.log"));
    ASSERT_TRUE(wait_for([&] { return test::port_accepts(port_); }, milliseconds(3000)))
        << testing_log("mosquitto.log");
    runner_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (client_) {
      std::atomic<bool> done{false};
      client_->async_shutdown([&] { done = true; });
      wait_for([&] { return done.load(); }, milliseconds(2000));
      client_.reset();
    }
    guard_.reset();
    io_.stop();
    if (runner_.joinable()) runner_.join();
  }
  std::string testing_log(const std::string& name) {
    std::ifstream in(dir_.path() + "/" + name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void connect_with(const std::string& ca) {
    MqttConfig cfg;
    cfg.enabled = true;
    cfg.port = port_;
    cfg.client_id = "hearth-tls-test";
    cfg.tls = true;
    cfg.tls_ca_file = dir_.path() + "/" + ca;
    cfg.reconnect_min_ms = 50;
    cfg.reconnect_max_ms = 200;
    Result<std::shared_ptr<MqttClient>> c = MqttClient::create(io_.get_executor(), cfg, system_clock());
    ASSERT_TRUE(c) << c.error().message;
    client_ = *c;
    client_->start();
  }

  test::TempDir dir_;
  test::ChildProcess broker_;
  int port_ = 0;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{io_.get_executor()};
  std::thread runner_;
  std::shared_ptr<MqttClient> client_;
};

TEST_F(MqttTlsTest, VerifiesTheBrokerAgainstTheCa) {
  connect_with("ca1.crt");
  ASSERT_TRUE(wait_for([&] { return client_->connected(); }, milliseconds(5000))) << client_->status().reason;
  EXPECT_NE(client_->status().reason.find("(TLS)"), std::string::npos) << client_->status().reason;
  // Messages flow over the TLS connection: a publish to our own subscription comes back.
  std::atomic<int> got{0};
  client_->subscribe("hearth/tls/echo", [&](const std::string&, const std::string& payload) {
    if (payload == "hello") got.fetch_add(1);
  });
  ASSERT_TRUE(wait_for([&] {
    client_->publish("hearth/tls/echo", "hello", 1, false);
    return wait_for([&] { return got.load() > 0; }, milliseconds(200));
  }, milliseconds(5000)));
}

TEST_F(MqttTlsTest, WrongCaIsRefusedWithAClearReason) {
  connect_with("ca2.crt");
  // Several attempts fail; none counts as connected.
  ASSERT_TRUE(wait_for([&] { return client_->stats().disconnects >= 2; }, milliseconds(5000)));
  EXPECT_FALSE(client_->connected());
  EXPECT_EQ(client_->stats().connects, 0u);
  const std::string reason = client_->status().reason;
  EXPECT_NE(reason.find("TLS"), std::string::npos) << reason;
  EXPECT_NE(reason.find("certificate verify failed"), std::string::npos) << reason;
  EXPECT_NE(reason.find("tls_ca_file"), std::string::npos) << reason;
}

TEST_F(MqttTlsTest, UnreadableCaFileIsAConfigError) {
  MqttConfig cfg;
  cfg.enabled = true;
  cfg.port = port_;
  cfg.tls = true;
  cfg.tls_ca_file = dir_.path() + "/no-such-ca.crt";
  Result<std::shared_ptr<MqttClient>> c = MqttClient::create(io_.get_executor(), cfg, system_clock());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("tls_ca_file"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace hearth
