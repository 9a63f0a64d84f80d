// daemon/src/tls.h: the TLS side of the API server (issue 10), on OpenSSL's
// C API and free of Boost, so http_server.cc stays the only Beast TU.
//
// - setup_tls_server(): TLS 1.2+ only, loads the certificate chain and the
//   private key into an SSL_CTX and checks that they match. Every error names
//   the file ("api.tls.key_file '/etc/hearth/key.pem': ..."), so hearthd can
//   refuse to start with a message the user can act on.
// - With `generate` (the default paths next to the history db), a missing
//   pair is first created: a self-signed EC P-256 certificate, CN = this
//   host's name, SAN = DNS:localhost, IP:127.0.0.1, IP:::1, DNS:<hostname>,
//   valid for 10 years. The key is written with mode 0600, each file through
//   a temp file + rename, so a crash never leaves half a PEM behind. Later
//   runs find the pair and reuse it.
#pragma once

#include <string>

#include "hearth/common/result.h"
#include "hearth/daemon/http_server.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace hearth {

struct DaemonConfig;

// HttpServerOptions::tls from config "api.tls": empty paths become
// tls-cert.pem / tls-key.pem next to the history db, with `generate` set.
HttpTlsOptions tls_server_options(const DaemonConfig& cfg);

// The machine's host name ("localhost" if gethostname fails or is empty).
std::string local_hostname();

// Writes a new self-signed certificate + key for `hostname` (see above).
// Refuses to overwrite an existing file.
Result<void> generate_self_signed_certificate(const std::string& cert_file, const std::string& key_file,
                                              const std::string& hostname);

// What setup_tls_server() did, for the log.
struct TlsSetupInfo {
  bool generated = false;    // a new self-signed pair was written
  std::string subject;       // "CN=hub" of the loaded certificate
  std::string not_after;     // its expiry, "Nov 20 18:00:00 2036 GMT"
  bool key_too_open = false; // the key file is readable by group/others
};

// Configures `ctx` for a TLS 1.2+ server from options.cert_file/key_file,
// generating them first when options.generate is set and both are missing.
Result<TlsSetupInfo> setup_tls_server(SSL_CTX* ctx, const HttpTlsOptions& options);

// Loads the pair into a scratch context (no generation): what config
// validation (`hearth check-config`, reloads) uses to report bad files early.
Result<void> check_tls_files(const HttpTlsOptions& options);

}  // namespace hearth
