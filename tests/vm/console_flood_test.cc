// A guest that floods its console must not fill the host's disk: console.log and
// console.log.1 stay under [hypervisor.qemu] console_log_max_bytes however much it
// writes, and the end of what it wrote is still there to quote.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <iostream>

#include "common/fs.h"
#include "hypervisor/qemu/qemu.h"
#include "vm/vm_test_util.h"

namespace kata::vm_test {
namespace {

using namespace std::chrono_literals;

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST(ConsoleFloodTest, TheHostConsoleLogStaysUnderItsCap) {
  char tmpl[] = "/tmp/kata-flood-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  Result<std::string> initrd = make_init_initrd(dir, KATA_FLOOD_INIT);
  ASSERT_TRUE(initrd) << initrd.error().message();
  hypervisor::qemu::VmConfig vm = bare_vm_config(dir, *initrd);
  vm.memory_mib = 256;
  vm.console_log_max = 256 << 10;  // the guest writes KATA_FLOOD_MIB MiB
  auto qemu = hypervisor::qemu::QemuVm::start(vm);
  ASSERT_TRUE(qemu) << qemu.error().message();
  auto status = (*qemu)->wait_for_exit(240s);
  ASSERT_TRUE(status) << (*qemu)->console_log_tail(5);
  std::string log = (*qemu)->paths().console_log;
  uint64_t total = file_size(log) + file_size(log + ".1");
  EXPECT_LE(total, vm.console_log_max);
  EXPECT_GT(total, vm.console_log_max / 2);
  std::cout << "guest wrote " << KATA_FLOOD_MIB << " MiB; console.log " << file_size(log)
            << " + console.log.1 " << file_size(log + ".1") << " bytes on the host\n";
  std::string tail = (*qemu)->console_log_tail(3);
  EXPECT_NE(tail.find("flood done "), std::string::npos) << tail;
  qemu->reset();
  EXPECT_TRUE(fs::remove_all(dir));
}

}  // namespace
}  // namespace kata::vm_test
