#include "config/json.h"

namespace kata::config {

nlohmann::json to_json(const Config& c) {
  const HypervisorConfig& h = c.hypervisor;
  const AgentConfig& a = c.agent;
  const RuntimeConfig& r = c.runtime;
  nlohmann::json qemu = {
      {"path", h.path},
      {"kernel", h.kernel},
      {"initrd", h.initrd},
      {"image", h.image},
      {"machine_type", to_string(h.machine_type)},
      {"kernel_params", h.kernel_params},
      {"default_vcpus", h.default_vcpus},
      {"default_memory", h.default_memory},
      {"shared_fs", to_string(h.shared_fs)},
      {"virtio_fs_daemon", h.virtio_fs_daemon},
      {"enable_debug", h.enable_debug},
      {"accelerator", to_string(h.accelerator)},
      {"tsc_khz", h.tsc_khz},
  };
  nlohmann::json agent = {
      {"enable_debug", a.enable_debug},
      {"dial_timeout", a.dial_timeout},
      {"kernel_modules", a.kernel_modules},
      {"channel", to_string(a.channel)},
  };
  nlohmann::json runtime = {
      {"enable_debug", r.enable_debug},
      {"internetworking_model", to_string(r.internetworking_model)},
      {"sandbox_cgroup_only", r.sandbox_cgroup_only},
  };
  return {{"hypervisor", {{"qemu", qemu}}}, {"agent", {{"kata", agent}}}, {"runtime", runtime}};
}

}  // namespace kata::config
