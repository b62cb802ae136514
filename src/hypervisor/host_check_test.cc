#include "hypervisor/host_check.h"

#include <gtest/gtest.h>

namespace kata::hypervisor {
namespace {

constexpr const char* kIntelVm = R"(processor	: 0
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) Processor @ 2.50GHz
cpu MHz		: 2499.998
flags		: fpu vme de pse tsc msr pae hypervisor constant_tsc

processor	: 1
vendor_id	: GenuineIntel
cpu MHz		: 1200.000
flags		: fpu vmx
)";

constexpr const char* kAmdHost = R"(processor	: 0
vendor_id	: AuthenticAMD
model name	: AMD EPYC 7B12
cpu MHz		: 3293.812
flags		: fpu tsc svm npt
)";

TEST(HostCheckTest, ParsesFirstProcessorBlock) {
  CpuInfo cpu = parse_cpuinfo(kIntelVm);
  EXPECT_EQ(cpu.vendor_id, "GenuineIntel");
  EXPECT_EQ(cpu.model_name, "Intel(R) Xeon(R) Processor @ 2.50GHz");
  EXPECT_TRUE(cpu.has_flag("hypervisor"));
  EXPECT_FALSE(cpu.has_flag("vmx"));  // processor 1's flags are not read
  EXPECT_FALSE(has_hardware_virt(cpu));
  EXPECT_EQ(tsc_khz_from_cpuinfo(cpu), 2499998u);

  CpuInfo amd = parse_cpuinfo(kAmdHost);
  EXPECT_TRUE(has_hardware_virt(amd));
  EXPECT_EQ(tsc_khz_from_cpuinfo(amd), 3293812u);

  EXPECT_FALSE(tsc_khz_from_cpuinfo(parse_cpuinfo("")));
  EXPECT_FALSE(tsc_khz_from_cpuinfo(parse_cpuinfo("cpu MHz : 1000\nflags : fpu\n")));  // no tsc
  EXPECT_FALSE(tsc_khz_from_cpuinfo(parse_cpuinfo("cpu MHz : fast\nflags : tsc\n")));
}

TEST(HostCheckTest, AgentChannel) {
  using config::AgentChannel;
  EXPECT_EQ(choose_agent_channel(AgentChannel::kAuto, true), Channel::kVsock);
  EXPECT_EQ(choose_agent_channel(AgentChannel::kAuto, false), Channel::kSerial);
  EXPECT_EQ(choose_agent_channel(AgentChannel::kVsock, false), Channel::kVsock);
  EXPECT_EQ(choose_agent_channel(AgentChannel::kSerial, true), Channel::kSerial);
}

TEST(HostCheckTest, ReportSeverities) {
  HostFacts facts;
  facts.cpuinfo = kIntelVm;
  facts.dev_kvm_opens = true;
  facts.vhost_vsock_present = false;
  facts.qemu_executable = true;
  facts.qemu_path = "/usr/bin/qemu-system-x86_64";
  std::vector<CheckItem> items = check_host(facts);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].severity, Severity::kWarning);  // no vmx/svm
  EXPECT_EQ(items[1].severity, Severity::kOk);       // /dev/kvm
  EXPECT_EQ(items[2].severity, Severity::kWarning);  // no vhost-vsock
  EXPECT_EQ(items[2].detail, "no /dev/vhost-vsock; the agent channel will be virtio-serial");
  EXPECT_EQ(items[3].severity, Severity::kOk);
  EXPECT_EQ(items[4].detail, "2499998 kHz");

  facts.qemu_executable = false;
  facts.dev_kvm_opens = false;
  facts.dev_kvm_error = "open `/dev/kvm`: Permission denied";
  items = check_host(facts);
  EXPECT_EQ(items[1].detail,
            "open `/dev/kvm`: Permission denied; VMs will run under TCG (software emulation)");
  EXPECT_EQ(items[3].severity, Severity::kError);
  EXPECT_EQ(items[3].detail, "no executable `/usr/bin/qemu-system-x86_64`");
}

TEST(HostCheckTest, DescribeGuestKernel) {
  struct Case {
    const char* release;
    const char* version;
    const char* want;
  };
  const Case cases[] = {
      {"6.1.192-kata", "#1 SMP PREEMPT_DYNAMIC Kata++ 6.1.192-3 5ca228fb",
       "6.1.192-kata, built from source by kata-osbuilder (linux-source 6.1.192-3, config "
       "5ca228fb)"},
      {"6.1.0-57-cloud-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-02)",
       "6.1.0-57-cloud-amd64, Debian's kernel package (Debian 6.1.158-1 (2025-11-02))"},
      {"6.5.0", "#3 SMP Tue Jan 2", "6.5.0 (#3 SMP Tue Jan 2)"},
      {"6.5.0", "", "6.5.0"},  // an agent that does not send uname -v
  };
  for (const Case& c : cases) EXPECT_EQ(describe_guest_kernel(c.release, c.version), c.want);
}

}  // namespace
}  // namespace kata::hypervisor
