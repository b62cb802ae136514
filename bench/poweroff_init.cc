// The baseline guest of bench/boot: an init that powers the VM off at once,
// so that a bare QEMU boot measures the kernel's own boot and nothing else.
#include <sys/reboot.h>
#include <unistd.h>

#include <cstdio>

int main() {
  // Only ever the init of a throwaway VM: never power off the machine it was run on by mistake.
  if (::getpid() != 1) {
    std::fprintf(stderr, "poweroff-init: refusing to run: not PID 1\n");
    return 2;
  }
  ::reboot(RB_POWER_OFF);
  for (;;) ::pause();  // PID 1 must not return, even if power-off failed
}
