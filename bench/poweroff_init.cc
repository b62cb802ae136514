// The baseline guest of bench/boot: an init that powers the VM off at once,
// so that a bare QEMU boot measures the kernel's own boot and nothing else.
#include <sys/reboot.h>
#include <unistd.h>

int main() {
  ::reboot(RB_POWER_OFF);
  for (;;) ::pause();  // PID 1 must not return, even if power-off failed
}
