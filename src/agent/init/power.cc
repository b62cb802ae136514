#include "agent/init/power.h"

#include <sys/reboot.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/log.h"

namespace kata::agent {

void power_off() {
  log::info("powering off");
  ::sync();
  ::reboot(RB_POWER_OFF);
  log::error("power off: {}", std::strerror(errno));
  // PID 1 must not exit (the kernel would panic); anyone else may.
  if (::getpid() != 1) ::_exit(1);
  for (;;) ::pause();
}

void power_off_after(std::chrono::milliseconds delay) {
  try {
    std::thread([delay] {
      std::this_thread::sleep_for(delay);
      power_off();
    }).detach();
  } catch (const std::exception& e) {
    // No thread: power off now; the reply is lost, but the VM still goes away.
    log::error("power off later: {}", e.what());
    power_off();
  }
}

}  // namespace kata::agent
