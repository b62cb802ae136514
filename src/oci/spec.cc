// Decoding and validation of config.json, exec processes and resource updates.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "common/fs.h"
#include "common/strings.h"
#include "oci/json_codec.h"
#include "oci/oci.h"

namespace kata::oci {

namespace {

Error invalid(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

bool absolute(std::string_view path) { return path.starts_with('/'); }

Status require_absolute(std::string_view path, const std::string& where) {
  if (path.empty()) return invalid(where + ": must not be empty");
  if (!absolute(path)) {
    return invalid(fmt::format("{}: must be an absolute path, got `{}`", where, path));
  }
  return {};
}

// The rlimits Linux knows (setrlimit(2)); anything else would fail late, inside the guest.
constexpr std::array<std::string_view, 16> kRlimits = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};

Status validate_rlimits(const grpc::Process& p, const std::string& prefix) {
  std::set<std::string> seen;
  for (int i = 0; i < p.rlimits_size(); ++i) {
    const grpc::POSIXRlimit& rl = p.rlimits(i);
    std::string where = fmt::format("{}rlimits[{}]", prefix, i);
    if (std::find(kRlimits.begin(), kRlimits.end(), rl.type()) == kRlimits.end()) {
      return invalid(fmt::format("{}.type: unknown rlimit `{}`", where, rl.type()));
    }
    if (!seen.insert(rl.type()).second) {
      return invalid(fmt::format("{}.type: `{}` is set twice", where, rl.type()));
    }
    if (rl.soft() > rl.hard()) {
      return invalid(
          fmt::format("{}: soft limit {} is above hard limit {}", where, rl.soft(), rl.hard()));
    }
  }
  return {};
}

// `prefix` is "process." inside a spec and "" for an exec process, so paths match the JSON.
Status validate_process(const grpc::Process& p, const std::string& prefix) {
  if (p.args_size() == 0) return invalid(prefix + "args: must not be empty");
  if (p.args(0).empty()) return invalid(prefix + "args[0]: must not be empty");
  KATA_TRY(require_absolute(p.cwd(), prefix + "cwd"));
  for (int i = 0; i < p.env_size(); ++i) {
    size_t eq = p.env(i).find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalid(fmt::format("{}env[{}]: `{}` is not NAME=VALUE", prefix, i, p.env(i)));
    }
  }
  return validate_rlimits(p, prefix);
}

Status validate_hooks(const grpc::Hooks& hooks) {
  const auto* desc = hooks.GetDescriptor();
  const auto* refl = hooks.GetReflection();
  for (int f = 0; f < desc->field_count(); ++f) {  // every hook list, present and future
    const auto* field = desc->field(f);
    for (int i = 0; i < refl->FieldSize(hooks, field); ++i) {
      const auto& hook = static_cast<const grpc::Hook&>(refl->GetRepeatedMessage(hooks, field, i));
      KATA_TRY(
          require_absolute(hook.path(), fmt::format("hooks.{}[{}].path", field->json_name(), i)));
      if (hook.timeout() < 0) {
        return invalid(fmt::format("hooks.{}[{}].timeout: must not be negative, got {}",
                                   field->json_name(), i, hook.timeout()));
      }
    }
  }
  return {};
}

Status validate_namespaces(const grpc::Linux& linux) {
  static const std::set<std::string> kTypes = {"pid", "network", "mount",  "ipc",
                                               "uts", "user",    "cgroup", "time"};
  std::set<std::string> seen;
  for (int i = 0; i < linux.namespaces_size(); ++i) {
    const std::string& type = linux.namespaces(i).type();
    std::string where = fmt::format("linux.namespaces[{}]", i);
    if (!kTypes.contains(type)) {
      return invalid(fmt::format("{}.type: unknown namespace `{}`", where, type));
    }
    if (!seen.insert(type).second) {
      return invalid(fmt::format("{}.type: namespace `{}` is listed twice", where, type));
    }
    if (!linux.namespaces(i).path().empty()) {
      KATA_TRY(require_absolute(linux.namespaces(i).path(), where + ".path"));
    }
  }
  return {};
}

Status validate_devices(const grpc::Linux& linux) {
  for (int i = 0; i < linux.devices_size(); ++i) {
    const grpc::LinuxDevice& d = linux.devices(i);
    std::string where = fmt::format("linux.devices[{}]", i);
    KATA_TRY(require_absolute(d.path(), where + ".path"));
    if (d.type() != "c" && d.type() != "b" && d.type() != "u" && d.type() != "p") {
      return invalid(fmt::format("{}.type: expected one of c, b, u, p, got `{}`", where, d.type()));
    }
  }
  return {};
}

Status validate_seccomp(const grpc::LinuxSeccomp& seccomp) {
  if (seccomp.defaultaction().empty()) return invalid("linux.seccomp.defaultAction: must be set");
  for (int i = 0; i < seccomp.syscalls_size(); ++i) {
    const grpc::LinuxSyscall& s = seccomp.syscalls(i);
    if (s.names_size() == 0) {
      return invalid(fmt::format("linux.seccomp.syscalls[{}].names: must not be empty", i));
    }
    if (s.action().empty()) {
      return invalid(fmt::format("linux.seccomp.syscalls[{}].action: must be set", i));
    }
  }
  return {};
}

Status validate_resources(const grpc::LinuxResources& res, const std::string& prefix) {
  for (int i = 0; i < res.devices_size(); ++i) {
    const grpc::LinuxDeviceCgroup& d = res.devices(i);
    std::string where = fmt::format("{}devices[{}]", prefix, i);
    if (!d.type().empty() && d.type() != "a" && d.type() != "b" && d.type() != "c") {
      return invalid(fmt::format("{}.type: expected one of a, b, c, got `{}`", where, d.type()));
    }
    if (d.access().find_first_not_of("rwm") != std::string::npos) {
      return invalid(fmt::format("{}.access: `{}` is not a subset of `rwm`", where, d.access()));
    }
  }
  return {};
}

Status validate_linux(const grpc::Linux& linux) {
  KATA_TRY(validate_namespaces(linux));
  KATA_TRY(validate_devices(linux));
  if (linux.has_seccomp()) KATA_TRY(validate_seccomp(linux.seccomp()));
  if (linux.has_resources()) KATA_TRY(validate_resources(linux.resources(), "linux.resources."));
  return {};
}

Status validate_spec(const grpc::Spec& spec) {
  if (spec.root().path().empty()) return invalid("root.path: must not be empty");
  if (!spec.has_process()) return invalid("process: must be set");
  KATA_TRY(validate_process(spec.process(), "process."));
  for (int i = 0; i < spec.mounts_size(); ++i) {
    KATA_TRY(
        require_absolute(spec.mounts(i).destination(), fmt::format("mounts[{}].destination", i)));
  }
  if (spec.has_hooks()) KATA_TRY(validate_hooks(spec.hooks()));
  if (spec.has_linux()) KATA_TRY(validate_linux(spec.linux()));
  return {};
}

}  // namespace

Result<grpc::Spec> parse_spec(std::string_view config_json) {
  grpc::Spec spec;
  Status status = decode_json(config_json, spec);
  if (status) status = validate_spec(spec);
  if (!status) return std::move(status).error().context("parse OCI spec");
  return spec;
}

Result<grpc::Spec> load_bundle_spec(const std::string& bundle_dir) {
  std::string path = bundle_dir + "/config.json";
  Result<std::string> text = fs::read_file(path);
  if (!text) return std::move(text).error().context("load bundle spec");
  return parse_spec(*text).context(fmt_path("load", path));
}

Result<grpc::Process> parse_process(std::string_view process_json) {
  grpc::Process process;
  Status status = decode_json(process_json, process);
  if (status) status = validate_process(process, "");
  if (!status) return std::move(status).error().context("parse OCI process");
  return process;
}

Result<grpc::LinuxResources> parse_resources(std::string_view resources_json) {
  grpc::LinuxResources resources;
  Status status = decode_json(resources_json, resources);
  if (status) status = validate_resources(resources, "");
  if (!status) return std::move(status).error().context("parse OCI resources");
  return resources;
}

std::string to_json(const grpc::Spec& spec) { return encode_json(spec); }

}  // namespace kata::oci
