// The init of a hostile guest: it writes KATA_FLOOD_MIB MiB of lines to its serial
// console (ttyS0, the host's console.log), then powers off. Static: the initrd holds
// nothing else, so it makes its own device node.
#include <fcntl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

int main() {
  if (::getpid() != 1) {
    std::fprintf(stderr, "flood-init: only ever the init of a throwaway VM\n");
    return 2;
  }
  ::mkdir("/dev", 0755);
  ::mknod("/dev/ttyS0", S_IFCHR | 0600, ::makedev(4, 64));
  int fd = ::open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
  char line[128];
  long written = 0;
  for (long i = 0; fd >= 0 && written < (KATA_FLOOD_MIB << 20); ++i) {
    int n =
        std::snprintf(line, sizeof line, "flood %ld xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", i);
    if (::write(fd, line, n) != n) break;
    written += n;
  }
  ::dprintf(fd, "flood done %ld\n", written);
  ::sync();
  ::reboot(RB_POWER_OFF);
  return 0;
}
