#include "hypervisor/qemu/cmdline.h"

#include <fmt/format.h>

namespace kata::hypervisor::qemu {

std::string escape_option_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

std::string virtio_model(std::string_view base, Machine machine) {
  return fmt::format("{}-{}", base, machine == Machine::kQ35 ? "pci" : "device");
}

std::vector<std::string> MachineArg::argv() const {
  if (type == Machine::kQ35) return {"-machine", "q35"};
  return {"-machine", "microvm,memory-backend=" + memory_backend, "-global",
          "virtio-mmio.force-legacy=false"};
}

std::vector<std::string> AccelArg::argv() const {
  if (type == Accel::kKvm) return {"-accel", "kvm", "-cpu", "host"};
  // ARAT (the local APIC timer keeps running in idle states) lets the guest
  // stop its tick when idle: without it, and with no HPET to broadcast from
  // (microvm), the kernel keeps the periodic tick and an idle guest wakes HZ
  // times a second. QEMU's TCG APIC timer does run in idle; qemu64 just does
  // not say so.
  return {"-accel", "tcg", "-cpu", "qemu64,+arat"};
}

std::vector<std::string> SmpArg::argv() const { return {"-smp", std::to_string(cpus)}; }

std::vector<std::string> MemoryArg::argv() const {
  std::vector<std::string> out = {
      "-m", fmt::format("{}M", size_mib), "-object",
      fmt::format("memory-backend-memfd,id={},size={}M,share=on", id, size_mib)};
  if (numa_node) out.insert(out.end(), {"-numa", "node,memdev=" + id});
  return out;
}

std::vector<std::string> BaseArgs::argv() const {
  return {"-nodefaults", "-no-user-config", "-nographic", "-display", "none", "-no-reboot"};
}

std::vector<std::string> NameArg::argv() const { return {"-name", escape_option_value(name)}; }

std::vector<std::string> KernelArg::argv() const {
  // -kernel/-initrd/-append are whole-value options: no comma escaping.
  std::vector<std::string> out = {"-kernel", kernel};
  if (!initrd.empty()) out.insert(out.end(), {"-initrd", initrd});
  out.insert(out.end(), {"-append", append});
  return out;
}

std::vector<std::string> SerialConsoleArg::argv() const {
  if (fd >= 0) {
    // append=on: QEMU opens the fd set's descriptor with the chardev's flags, and a pipe
    // refuses O_TRUNC.
    return {"-add-fd",  fmt::format("fd={},set={}", fd, fd),
            "-chardev", fmt::format("file,id={},path=/dev/fdset/{},append=on", id, fd),
            "-serial",  "chardev:" + id};
  }
  return {"-chardev", fmt::format("file,id={},path={}", id, escape_option_value(log_path)),
          "-serial", "chardev:" + id};
}

std::vector<std::string> SandboxArg::argv() const {
  if (options.empty()) return {};
  return {"-sandbox", options};
}

std::vector<std::string> QmpArg::argv() const {
  return {
      "-chardev",
      fmt::format("socket,id={},path={},server=on,wait=off", id, escape_option_value(socket_path)),
      "-mon", fmt::format("chardev={},mode=control", id)};
}

std::vector<std::string> VirtioSerialAgentArg::argv() const {
  return {
      "-device",
      virtio_model("virtio-serial", machine) + ",id=" + id + "-serial",
      "-chardev",
      fmt::format("socket,id={},path={},server=on,wait=off", id, escape_option_value(socket_path)),
      "-device",
      fmt::format("virtserialport,bus={}-serial.0,chardev={},name={}", id, id, port_name)};
}

std::vector<std::string> VhostVsockArg::argv() const {
  return {"-device", fmt::format("{},id=vsock0,guest-cid={}", virtio_model("vhost-vsock", machine),
                                 guest_cid)};
}

std::vector<std::string> RngArg::argv() const {
  return {"-object", "rng-random,id=rng0,filename=/dev/urandom", "-device",
          virtio_model("virtio-rng", machine) + ",rng=rng0"};
}

std::vector<std::string> VhostUserFsArg::argv() const {
  return {"-chardev",
          fmt::format("socket,id={}-sock,path={}", id, escape_option_value(socket_path)), "-device",
          fmt::format("{},id={},chardev={}-sock,tag={},queue-size={}",
                      virtio_model("vhost-user-fs", machine), id, id, escape_option_value(tag),
                      queue_size)};
}

std::vector<std::string> BalloonArg::argv() const {
  return {"-device", virtio_model("virtio-balloon", machine) +
                         ",id=balloon0,free-page-reporting=on,deflate-on-oom=on"};
}

std::vector<std::string> NetArg::argv() const {
  std::string device = fmt::format("{},netdev={}", virtio_model("virtio-net", machine), id);
  if (!mac.empty()) device += ",mac=" + mac;
  if (mtu > 0) device += fmt::format(",host_mtu={}", mtu);
  return {"-netdev", fmt::format("tap,id={},fd={},vhost=off", id, fd), "-device", device};
}

namespace {

void append(std::vector<std::string>& out, std::vector<std::string> words) {
  out.insert(out.end(), std::make_move_iterator(words.begin()),
             std::make_move_iterator(words.end()));
}

}  // namespace

std::vector<std::string> CommandLine::argv() const {
  std::vector<std::string> out = {binary};
  if (name) append(out, name->argv());
  append(out, machine.argv());
  append(out, accel.argv());
  append(out, smp.argv());
  append(out, memory.argv());
  append(out, base.argv());
  append(out, kernel.argv());
  append(out, console.argv());
  append(out, sandbox.argv());
  if (qmp) append(out, qmp->argv());
  for (const DeviceArg& d : devices) {
    append(out, std::visit([](const auto& arg) { return arg.argv(); }, d));
  }
  return out;
}

}  // namespace kata::hypervisor::qemu
