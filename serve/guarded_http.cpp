#include "serve/guarded_http.h"

#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <type_traits>

namespace runbook {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void IpAndPort(int sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int rc = peer ? getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len)
                : getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char host[NI_MAXHOST] = {};
  if (getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, nullptr, 0,
                  NI_NUMERICHOST) == 0)
    ip = host;
  port = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

std::string PeerAddress(int sock) {
  std::string ip;
  int port = 0;
  IpAndPort(sock, true, ip, port);
  return ip;
}

// Connections held, by peer address.
class AddressCounts {
 public:
  explicit AddressCounts(int max) : max_(max) {}
  bool Admit(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    int& n = held_[address];
    if (n >= max_) return false;
    ++n;
    return true;
  }
  void Release(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    if (--held_[address] <= 0) held_.erase(address);
  }

 private:
  int max_;
  std::mutex mu_;
  std::map<std::string, int> held_;
};

// One connection, plain or TLS, on a non-blocking socket. Reads are buffered and each wait
// is bounded by the read timeout and, while a request is read, by its deadline.
class GuardedStream final : public httplib::Stream {
 public:
  GuardedStream(int sock, SSL* ssl, milliseconds read_timeout, milliseconds write_timeout)
      : sock_(sock), ssl_(ssl), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  void SetDeadline(SteadyClock::time_point at) { deadline_ = at; }
  bool Buffered() const { return pos_ < len_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0); }

  bool is_readable() const override { return Buffered() || Wait(POLLIN, read_timeout_, true); }
  bool is_writable() const override { return Wait(POLLOUT, write_timeout_, false); }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ >= len_) {
      ssize_t got = Transfer(buf_, sizeof buf_, true);
      if (got <= 0) return got;
      pos_ = 0;
      len_ = static_cast<size_t>(got);
    }
    size_t n = std::min(size, len_ - pos_);
    std::memcpy(ptr, buf_ + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    return Transfer(const_cast<char*>(ptr), size, false);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    IpAndPort(sock_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    IpAndPort(sock_, false, ip, port);
  }
  socket_t socket() const override { return sock_; }

  // Waits for `events` for at most `timeout`, and no later than the request's deadline when
  // `bounded`. False when the time passed or the socket failed.
  bool Wait(short events, milliseconds timeout, bool bounded) const {
    auto until = SteadyClock::now() + timeout;
    if (bounded) until = std::min(until, deadline_);
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(until - SteadyClock::now()).count();
      if (left <= 0) return false;
      pollfd p{sock_, events, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left));
      if (rc > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
      if (rc < 0 && errno != EINTR) return false;
    }
  }

 private:
  // One read or write, waiting while the socket (or TLS) needs to: -1 on a failure or when
  // the wait runs out, 0 when the peer closed (reads).
  ssize_t Transfer(char* data, size_t size, bool reading) {
    int len = static_cast<int>(std::min<size_t>(size, 1 << 20));
    for (;;) {
      ssize_t n;
      int want;
      if (ssl_ != nullptr) {
        n = reading ? SSL_read(ssl_, data, len) : SSL_write(ssl_, data, len);
        if (n > 0) return n;
        want = SSL_get_error(ssl_, static_cast<int>(n));
        if (want == SSL_ERROR_ZERO_RETURN) return 0;
      } else {
        n = reading ? ::recv(sock_, data, static_cast<size_t>(len), 0)
                    : ::send(sock_, data, static_cast<size_t>(len), MSG_NOSIGNAL);
        if (n >= 0) return n;
        bool again = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        want = !again ? SSL_ERROR_SYSCALL : reading ? SSL_ERROR_WANT_READ : SSL_ERROR_WANT_WRITE;
      }
      milliseconds timeout = reading ? read_timeout_ : write_timeout_;
      if (want == SSL_ERROR_WANT_READ && Wait(POLLIN, timeout, reading)) continue;
      if (want == SSL_ERROR_WANT_WRITE && Wait(POLLOUT, timeout, reading)) continue;
      return -1;
    }
  }

  int sock_;
  SSL* ssl_;
  milliseconds read_timeout_;
  milliseconds write_timeout_;
  SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
  char buf_[16384];
  size_t pos_ = 0;
  size_t len_ = 0;
};

// The TLS handshake on the non-blocking socket, within `deadline`. nullptr when it fails.
SSL* AcceptTls(SSL_CTX* ctx, GuardedStream& stream, int sock, SteadyClock::time_point deadline) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  SSL_set_fd(ssl, sock);
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  stream.SetDeadline(deadline);
  for (;;) {
    int rc = SSL_accept(ssl);
    if (rc == 1) return ssl;
    int want = SSL_get_error(ssl, rc);
    auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
    if ((want == SSL_ERROR_WANT_READ && stream.Wait(POLLIN, left, true)) ||
        (want == SSL_ERROR_WANT_WRITE && stream.Wait(POLLOUT, left, true)))
      continue;
    SSL_free(ssl);
    return nullptr;
  }
}

template <class Base>
class Guarded final : public Base {
 public:
  template <class... Args>
  Guarded(const ClientLimits& limits, Args&&... args)
      : Base(std::forward<Args>(args)...), limits_(limits), counts_(limits.per_address) {
    this->new_task_queue = [workers = limits.workers] { return new httplib::ThreadPool(workers); };
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second serve on the
    // same address listened too and took half the requests (breakServe2).
    this->set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
  }

 private:
  static constexpr bool kTls = std::is_same_v<Base, httplib::SSLServer>;

  bool process_and_close_socket(socket_t sock) override {
    std::string address = PeerAddress(sock);
    bool admitted = counts_.Admit(address);
    bool ok = admitted && Serve(sock);
    if (admitted) counts_.Release(address);
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  bool Serve(int sock) {
    ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
    // An answer is written as its headers, then its body: without TCP_NODELAY the body waited
    // for the client's delayed ACK of the headers (40 ms per answer on a kept-alive
    // connection, measured: bench/ui_bench.py).
    int nodelay = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
    milliseconds read_timeout(this->read_timeout_sec_ * 1000 + this->read_timeout_usec_ / 1000);
    milliseconds write_timeout(this->write_timeout_sec_ * 1000 + this->write_timeout_usec_ / 1000);
    SSL* ssl = nullptr;
    if constexpr (kTls) {
      GuardedStream handshake(sock, nullptr, read_timeout, write_timeout);
      ssl = AcceptTls(this->ssl_context(), handshake, sock,
                      SteadyClock::now() + limits_.request_deadline);
      if (ssl == nullptr) return false;
    }
    GuardedStream stream(sock, ssl, read_timeout, write_timeout);
    bool ok = false;
    for (size_t left = this->keep_alive_max_count_; left > 0 && NextRequest(stream); --left) {
      stream.SetDeadline(SteadyClock::now() + limits_.request_deadline);
      bool closed = false;
      ok = this->process_request(stream, left == 1, closed, [ssl](httplib::Request& req) {
        req.ssl = ssl;
        OfferNoBrotli(req);
      });
      if (!ok || closed) break;
    }
    if (ssl != nullptr) {
      SSL_shutdown(ssl);  // best effort on the non-blocking socket
      SSL_free(ssl);
    }
    return ok;
  }

  // Waits for the first byte of the next request, at most the keep-alive timeout, and ends
  // the wait when the server stops.
  bool NextRequest(GuardedStream& stream) {
    if (stream.Buffered()) return true;
    auto until = SteadyClock::now() + std::chrono::seconds(this->keep_alive_timeout_sec_);
    while (this->svr_sock_ != INVALID_SOCKET && SteadyClock::now() < until) {
      stream.SetDeadline(SteadyClock::time_point::max());
      if (stream.Wait(POLLIN, milliseconds(100), false)) return true;
    }
    return false;
  }

  ClientLimits limits_;
  AddressCounts counts_;
};

}  // namespace

void OfferNoBrotli(httplib::Request& req) {
  for (auto [it, end] = req.headers.equal_range("Accept-Encoding"); it != end; ++it) {
    std::string kept;
    std::stringstream list(it->second);
    for (std::string coding; std::getline(list, coding, ',');) {
      size_t start = coding.find_first_not_of(' ');
      if (start == std::string::npos || coding.compare(start, 2, "br") == 0) continue;
      kept += (kept.empty() ? "" : ", ") + coding.substr(start);
    }
    it->second = kept;
  }
}

std::unique_ptr<httplib::Server> MakeGuardedServer(const ClientLimits& limits,
                                                   const std::string& tls_cert,
                                                   const std::string& tls_key) {
  if (tls_cert.empty()) return std::make_unique<Guarded<httplib::Server>>(limits);
  return std::make_unique<Guarded<httplib::SSLServer>>(limits, tls_cert.c_str(), tls_key.c_str());
}

}  // namespace runbook
