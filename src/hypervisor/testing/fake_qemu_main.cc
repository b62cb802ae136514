// fake_qemu: a stand-in for qemu-system-x86_64 in unit tests of the QEMU driver. It reads
// the QMP and console paths from a real command line and serves QMP like QEMU would.
// Knobs (environment): FAKE_QEMU_FAIL=msg (print msg on stderr, exit 1 at once),
// FAKE_QEMU_IGNORE_QUIT=1 (answer quit but keep running), FAKE_QEMU_CONSOLE=text
// (written to the console log), FAKE_QEMU_ARGV_FILE=path (argv written there, one a line).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/fs.h"
#include "hypervisor/testing/fake_qmp_server.h"
#include "sys/unix_socket.h"

namespace {

// The value of `key=` inside a "-chardev" option whose id is `id`.
std::string chardev_option(const std::vector<std::string>& args, const std::string& id,
                           const std::string& key) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != "-chardev" || args[i + 1].find("id=" + id + ",") == std::string::npos) continue;
    size_t at = args[i + 1].find("," + key + "=");
    if (at == std::string::npos) continue;
    std::string rest = args[i + 1].substr(at + key.size() + 2);
    return rest.substr(0, rest.find(','));
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (const char* path = std::getenv("FAKE_QEMU_ARGV_FILE")) {
    std::string text;
    for (const std::string& a : args) text += a + "\n";
    (void)kata::fs::write_file_atomic(path, text);
  }
  if (const char* msg = std::getenv("FAKE_QEMU_FAIL")) {
    std::fprintf(stderr, "fake_qemu: starting\n%s\n", msg);
    return 1;
  }
  std::string console = chardev_option(args, "console", "path");
  if (const char* text = std::getenv("FAKE_QEMU_CONSOLE"); text && !console.empty()) {
    // As QEMU does with -add-fd: "/dev/fdset/N" is the inherited descriptor N here.
    if (console.starts_with("/dev/fdset/")) {
      int fd = std::atoi(console.c_str() + std::strlen("/dev/fdset/"));
      ssize_t unused = ::write(fd, text, std::strlen(text));
      (void)unused;
    } else {
      (void)kata::fs::write_file_atomic(console, text);
    }
  }
  std::string qmp_path = chardev_option(args, "qmp", "path");
  auto listener = kata::sys::listen_unix(qmp_path);
  if (!listener) {
    std::fprintf(stderr, "fake_qemu: %s\n", listener.error().message().c_str());
    return 1;
  }
  bool ignore_quit = std::getenv("FAKE_QEMU_IGNORE_QUIT") != nullptr;
  for (;;) {
    auto conn =
        kata::sys::accept_unix(listener->get(), kata::sys::deadline_after(std::chrono::hours(24)));
    if (!conn) return 2;
    kata::hypervisor::testing::FakeQmpServer server;
    server.exit_on_quit = !ignore_quit;
    server.serve(std::move(*conn));
    std::vector<std::string> commands = server.commands();
    if (!ignore_quit && !commands.empty() && commands.back() == "quit") {
      ::unlink(qmp_path.c_str());  // as QEMU does on a clean exit
      return 0;
    }
  }
}
