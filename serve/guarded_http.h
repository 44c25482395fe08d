// cpp-httplib's Server (and SSLServer) with bounds on slow and greedy clients, so that slow or
// stuck clients cannot exhaust runbook serve's HTTP workers (issue 16 part 2; slowloris).
//
// cpp-httplib 0.11.4 (Debian bookworm) bounds each read of a request, not the request: a
// client that sends one byte every few seconds held a worker for ever, and 8 such clients
// stopped the API. Here each connection is served by our own loop over httplib's request
// processing (the Server's protected process_request, as its SSLServer does), on a
// non-blocking socket:
// - a request (its line, headers and body, TLS handshake included) must arrive whole within
//   `request_deadline` of the moment the connection or the keep-alive wait saw its first byte
//   (Go's ReadHeaderTimeout, Apache's mod_reqtimeout); then the connection is closed;
// - one address holds at most `per_address` connections at once; more are closed at once (as
//   nginx's limit_conn);
// - `workers` threads serve connections (more than a single address may hold);
// - the address is bound without SO_REUSEPORT: a second serve on it fails to start.
// Answers are written with the per-write timeout only: an event stream lives long.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace runbook {

struct ClientLimits {
  std::chrono::milliseconds request_deadline{10000};
  int per_address = 32;
  int workers = 128;
};

// A plain HTTP server (`tls_cert` empty) or an HTTPS one with the PEM certificate and key
// files given; its timeouts, keep-alive and routes are set by the caller as for any
// httplib::Server. is_valid() is false when the certificate and key cannot be used.
std::unique_ptr<httplib::Server> MakeGuardedServer(const ClientLimits& limits,
                                                   const std::string& tls_cert,
                                                   const std::string& tls_key);

// Takes "br" out of the request's Accept-Encoding: cpp-httplib compresses with Brotli at its
// highest quality (11), 250 ms for the web UI's 141 KB script where gzip takes 5 ms
// (measured: bench/ui_bench.py), so a browser, which offers br, waited a second for the UI.
// Every answer is then gzip (offered) or plain.
void OfferNoBrotli(httplib::Request& req);

}  // namespace runbook
