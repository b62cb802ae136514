// The pod sandbox's process in the CRI tests' pause image (Kubernetes' pause is not in
// Debian): it holds the pod's namespaces, reaps the zombies a shared PID namespace hands
// to it as PID 1, and ends at once on SIGINT or SIGTERM. Static: the image has no libc.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

void end(int) { _exit(0); }

void reap(int) {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

void on(int signal, void (*handler)(int)) {
  struct sigaction action = {};
  action.sa_handler = handler;
  action.sa_flags = SA_RESTART;
  sigaction(signal, &action, nullptr);
}

}  // namespace

int main() {
  on(SIGINT, end);
  on(SIGTERM, end);
  on(SIGCHLD, reap);
  for (;;) pause();
}
