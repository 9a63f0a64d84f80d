#include "tls.h"

#include "hearth/daemon/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace hearth {

namespace {

namespace fs = std::filesystem;

constexpr long kValiditySeconds = 3650L * 24 * 3600;  // ~10 years

struct BioFree { void operator()(BIO* b) const { BIO_free_all(b); } };
struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct X509Free { void operator()(X509* x) const { X509_free(x); } };
struct BnFree { void operator()(BIGNUM* b) const { BN_free(b); } };
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// The first queued OpenSSL error as text ("unknown error" if none); clears the queue.
std::string openssl_error() {
  unsigned long e = ERR_get_error();
  std::string out;
  if (e == 0) {
    out = "unknown OpenSSL error";
  } else {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out = buf;
  }
  ERR_clear_error();
  return out;
}

// Never asks a terminal for a passphrase (OpenSSL's default callback would).
int no_passphrase(char*, int, int, void*) { return -1; }

std::string bio_text(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

// A DNS name safe to put into a SAN list ("" if it is not one).
std::string dns_name_or_empty(const std::string& host) {
  if (host.empty() || host.size() > 253) return "";
  for (char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return "";
  }
  return host;
}

// Writes `text` to `path` via path.tmp + rename, with `mode` regardless of umask.
Result<void> write_file_atomic(const std::string& path, const std::string& text, mode_t mode, const char* what) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Error{Code::kIo, std::string(what) + " '" + path + "': cannot create: " + std::strerror(errno)};
  bool ok = ::fchmod(fd, mode) == 0;
  size_t off = 0;
  while (ok && off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false; else off += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : saved);
    ::unlink(tmp.c_str());
    return Error{Code::kIo, std::string(what) + " '" + path + "': cannot write: " + why};
  }
  return {};
}

bool add_ext(X509* cert, int nid, const std::string& value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec)) || fs::is_symlink(fs::symlink_status(path, ec));
}

}  // namespace

HttpTlsOptions tls_server_options(const DaemonConfig& cfg) {
  HttpTlsOptions o;
  o.enabled = cfg.api.tls.enabled;
  o.handshake_timeout = std::chrono::milliseconds(cfg.api.tls.handshake_timeout_ms);
  if (cfg.api.tls.cert_file.empty() && cfg.api.tls.key_file.empty()) {
    const fs::path dir = fs::path(cfg.db).parent_path();
    o.cert_file = (dir / "tls-cert.pem").string();
    o.key_file = (dir / "tls-key.pem").string();
    o.generate = true;
  } else {
    o.cert_file = cfg.api.tls.cert_file;
    o.key_file = cfg.api.tls.key_file;
  }
  return o;
}

std::string local_hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

Result<void> generate_self_signed_certificate(const std::string& cert_file, const std::string& key_file,
                                              const std::string& hostname) {
  auto fail = [](const std::string& step) {
    return Error{Code::kInternal, "generating the self-signed TLS certificate: " + step + ": " + openssl_error()};
  };
  if (exists(cert_file)) return Error{Code::kBadInput, "api.tls.cert_file '" + cert_file + "' already exists"};
  if (exists(key_file)) return Error{Code::kBadInput, "api.tls.key_file '" + key_file + "' already exists"};

  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return fail("EC P-256 key");
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return fail("X509_new");

  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return fail("serial number");
  serial[0] &= 0x7f;  // positive
  serial[0] |= 0x01;  // and 16 bytes long
  std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(serial, sizeof(serial), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) return fail("serial number");

  // An hour back, so a hub whose clock is a little ahead of a phone's is fine.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds)) {
    return fail("validity");
  }
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return fail("public key");

  const std::string cn = hostname.empty() ? "localhost" : hostname.substr(0, 64);  // ub-common-name
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Hearth hub"), -1,
                                 -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return fail("subject name");
  }

  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  const std::string dns = dns_name_or_empty(hostname);
  if (!dns.empty() && dns != "localhost") san += ",DNS:" + dns;
  // No keyUsage: with one lacking keyCertSign, OpenSSL would not treat the
  // certificate as its own issuer, and clients could not pin it as a root.
  if (!add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !add_ext(cert.get(), NID_subject_key_identifier, "hash") ||
      !add_ext(cert.get(), NID_subject_alt_name, san)) {
    return fail("extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return fail("signing");

  BioPtr key_pem(BIO_new(BIO_s_mem()));
  BioPtr cert_pem(BIO_new(BIO_s_mem()));
  if (!key_pem || !cert_pem ||
      PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cert_pem.get(), cert.get()) != 1) {
    return fail("PEM encoding");
  }

  std::error_code ec;
  for (const std::string& p : {cert_file, key_file}) {
    fs::path parent = fs::path(p).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
  }
  // The key first: a certificate without its key would be unusable.
  if (Result<void> r = write_file_atomic(key_file, bio_text(key_pem.get()), 0600, "api.tls.key_file"); !r) return r;
  if (Result<void> r = write_file_atomic(cert_file, bio_text(cert_pem.get()), 0644, "api.tls.cert_file"); !r) {
    ::unlink(key_file.c_str());
    return r;
  }
  return {};
}

Result<TlsSetupInfo> setup_tls_server(SSL_CTX* ctx, const HttpTlsOptions& options) {
  TlsSetupInfo info;
  const std::string& cert_file = options.cert_file;
  const std::string& key_file = options.key_file;
  const std::string cert_what = "api.tls.cert_file '" + cert_file + "'";
  const std::string key_what = "api.tls.key_file '" + key_file + "'";
  ERR_clear_error();

  if (options.generate) {
    const bool have_cert = exists(cert_file), have_key = exists(key_file);
    if (!have_cert && !have_key) {
      if (Result<void> g = generate_self_signed_certificate(cert_file, key_file, local_hostname()); !g) {
        return g.error();
      }
      info.generated = true;
    } else if (have_cert != have_key) {
      // Never overwrite half a pair: the other half may be precious.
      return Error{Code::kBadInput, (have_cert ? key_what : cert_what) + ": does not exist, but " +
                                        (have_cert ? cert_what : key_what) +
                                        " does; restore it, or delete both to generate a new self-signed pair"};
    }
  }

  // TLS 1.2 and 1.3 only; no compression, no client-initiated renegotiation.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return Error{Code::kInternal, "TLS: cannot require TLS 1.2: " + openssl_error()};
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);

  // The certificate (chain): open first, so "missing" and "unreadable" read as such.
  {
    BioPtr probe(BIO_new_file(cert_file.c_str(), "r"));
    if (!probe) {
      const int e = errno;
      ERR_clear_error();
      return Error{Code::kBadInput, cert_what + ": cannot open: " + std::strerror(e)};
    }
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Error{Code::kBadInput, cert_what + ": not a valid PEM certificate (" + openssl_error() + ")"};
  }

  BioPtr kb(BIO_new_file(key_file.c_str(), "r"));
  if (!kb) {
    const int e = errno;
    ERR_clear_error();
    return Error{Code::kBadInput, key_what + ": cannot open: " + std::strerror(e)};
  }
  PkeyPtr key(PEM_read_bio_PrivateKey(kb.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    return Error{Code::kBadInput, key_what + ": not a valid unencrypted PEM private key (" + openssl_error() + ")"};
  }
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (!cert || X509_check_private_key(cert, key.get()) != 1) {
    ERR_clear_error();
    return Error{Code::kBadInput, key_what + ": does not belong to the certificate in " + cert_what};
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return Error{Code::kBadInput, key_what + ": cannot be used (" + openssl_error() + ")"};
  }

  struct stat st {};
  if (::stat(key_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) info.key_too_open = true;
  char subject[256] = {};
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
  info.subject = subject;
  BioPtr t(BIO_new(BIO_s_mem()));
  if (t && ASN1_TIME_print(t.get(), X509_get0_notAfter(cert)) == 1) info.not_after = bio_text(t.get());
  ERR_clear_error();
  return info;
}

Result<void> check_tls_files(const HttpTlsOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return Error{Code::kInternal, "TLS: " + openssl_error()};
  HttpTlsOptions o = options;
  o.generate = false;
  Result<TlsSetupInfo> r = setup_tls_server(ctx, o);
  SSL_CTX_free(ctx);
  if (!r) return r.error();
  return {};
}

}  // namespace hearth
