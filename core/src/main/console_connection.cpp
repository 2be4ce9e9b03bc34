#include "main/console_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "zvon/log.h"

namespace zvon {

using console::Frame;
using console::FrameType;

namespace {

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : int(left.count());
}

}  // namespace

Result<ConsoleConnection> ConsoleConnection::open(const std::filesystem::path& socket_path,
                                                  int timeout_ms) {
  sockaddr_un addr{};
  if (socket_path.native().size() >= sizeof addr.sun_path)
    return make_error(cat("the console socket path ", socket_path.string(), " is too long"));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return make_error(cat("socket: ", std::strerror(errno)));
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    if (e == ENOENT || e == ECONNREFUSED)
      return make_error(cat("no zvon daemon is running (nothing answers on ", socket_path.string(),
                            ": ", std::strerror(e), "); start it with 'zvon' or 'zvon -f'"));
    return make_error(cat("cannot connect to the zvon console at ", socket_path.string(), ": ",
                          std::strerror(e)));
  }
  ConsoleConnection c(std::move(fd));
  auto hello = c.next(timeout_ms);
  if (!hello)
    return make_error(cat("the zvon daemon at ", socket_path.string(),
                          " did not greet: ", hello.message()));
  if (hello->type != FrameType::Hello)
    return make_error(cat(socket_path.string(), " does not speak the zvon console protocol"));
  c.greeting_ = hello->payload;
  return c;
}

Result<void> ConsoleConnection::send(FrameType type, std::string_view payload) {
  std::string bytes = console::encode_frame(type, payload);
  std::string_view rest = bytes;
  while (!rest.empty()) {
    ssize_t n = ::send(fd_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(cat("the connection to zvon broke: ", std::strerror(errno)));
    }
    rest.remove_prefix(size_t(n));
  }
  return {};
}

std::optional<Frame> ConsoleConnection::buffered() { return reader_.next(); }

Result<void> ConsoleConnection::receive() {
  char buf[16 * 1024];
  ssize_t n;
  do {
    n = ::recv(fd_.get(), buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return make_error(cat("the connection to zvon broke: ", std::strerror(errno)));
  if (n == 0) return make_error("zvon closed the console connection");
  reader_.feed(std::string_view(buf, size_t(n)));
  return {};
}

Result<Frame> ConsoleConnection::next(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (auto frame = reader_.next()) {
      if (!console::is_server_frame(char(frame->type)))
        return make_error(cat("zvon sent an unknown frame type ",
                              int(static_cast<unsigned char>(frame->type))));
      return std::move(*frame);
    }
    if (reader_.failed()) return make_error(cat("zvon sent a bad frame: ", reader_.error()));
    pollfd p{fd_.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, timeout_ms < 0 ? -1 : remaining_ms(deadline));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return make_error(cat("poll: ", std::strerror(errno)));
    }
    if (rc == 0) return make_error(cat("no answer within ", timeout_ms, " ms"));
    auto r = receive();
    if (!r) return r.error();
  }
}

}  // namespace zvon
