// The init of a guest that must panic: PID 1 exits at once, and the kernel
// answers with "Attempted to kill init!". Static: the initrd holds nothing else.
#include <unistd.h>

#include <cstdio>

int main() {
  if (::getpid() != 1) {
    std::fprintf(stderr, "exit-init: only ever the init of a throwaway VM\n");
    return 2;
  }
  return 1;
}
