#include "agent/rpc/container_convert.h"

namespace kata::agent {
namespace {

using container::ContainerSpec;

Error unimplemented(const std::string& what) {
  return Error(Code::kUnimplemented, what + " is not implemented by this agent");
}

std::vector<std::string> strings(const google::protobuf::RepeatedPtrField<std::string>& f) {
  return {f.begin(), f.end()};
}

Result<void> check_supported(const grpc::CreateContainerRequest& req) {
  const grpc::Spec& s = req.oci();
  if (req.devices_size() > 0) return unimplemented("CreateContainer devices");
  if (req.shared_mounts_size() > 0) return unimplemented("CreateContainer shared_mounts");
  if (req.stdin_port() || req.stdout_port() || req.stderr_port())
    return unimplemented("passfd I/O");
  const grpc::Hooks& h = s.hooks();
  if (h.prestart_size() || h.poststart_size() || h.poststop_size() || h.createruntime_size() ||
      h.createcontainer_size() || h.startcontainer_size()) {
    return unimplemented("OCI hooks in the guest");
  }
  // The host drops every path (a host /proc/<pid>/ns/* means nothing here): a pod's
  // containers share the sandbox's ipc and uts namespaces, and its pid namespace
  // through sandbox_pidns. Any other namespace to join by path is beyond this agent.
  for (const grpc::LinuxNamespace& ns : s.linux().namespaces()) {
    if (ns.type() == "user") return unimplemented("a user namespace");
    if (!ns.path().empty()) {
      return unimplemented("joining the " + ns.type() + " namespace at `" + ns.path() + "`");
    }
  }
  if (s.linux().uidmappings_size() || s.linux().gidmappings_size())
    return unimplemented("id mappings");
  return {};
}

std::optional<container::Seccomp> to_seccomp(const grpc::Linux& l) {
  if (!l.has_seccomp() || l.seccomp().defaultaction().empty()) return std::nullopt;
  const grpc::LinuxSeccomp& in = l.seccomp();
  container::Seccomp out{
      in.defaultaction(), std::nullopt, strings(in.architectures()), strings(in.flags()), {}};
  if (in.has_defaulterrnoret()) out.default_errno_ret = in.defaulterrnoret();
  for (const grpc::LinuxSyscall& sc : in.syscalls()) {
    container::SeccompRule rule{strings(sc.names()), sc.action(), std::nullopt, {}};
    if (sc.has_errnoret()) rule.errno_ret = sc.errnoret();
    for (const grpc::LinuxSeccompArg& a : sc.args()) {
      rule.args.push_back({static_cast<uint32_t>(a.index()), a.value(), a.valuetwo(), a.op()});
    }
    out.rules.push_back(std::move(rule));
  }
  return out;
}

void add_network_stats(const std::vector<network::LinkStats>& links,
                       grpc::StatsContainerResponse& resp) {
  for (const network::LinkStats& l : links) {
    grpc::NetworkStats* n = resp.add_network_stats();
    n->set_name(l.name);
    n->set_rx_bytes(l.rx_bytes);
    n->set_rx_packets(l.rx_packets);
    n->set_rx_errors(l.rx_errors);
    n->set_rx_dropped(l.rx_dropped);
    n->set_tx_bytes(l.tx_bytes);
    n->set_tx_packets(l.tx_packets);
    n->set_tx_errors(l.tx_errors);
    n->set_tx_dropped(l.tx_dropped);
  }
}

}  // namespace

container::ProcessSpec to_process_spec(const grpc::Process& p, const grpc::StringUser& su) {
  container::ProcessSpec out;
  out.terminal = p.terminal();
  out.rows = p.consolesize().height();
  out.columns = p.consolesize().width();
  out.user.uid = p.user().uid();
  out.user.gid = p.user().gid();
  out.user.additional_gids.assign(p.user().additionalgids().begin(),
                                  p.user().additionalgids().end());
  // Names (or numbers as strings) the host could not resolve itself.
  out.user.username = su.uid();
  out.user.group = su.gid();
  out.user.additional_groups = strings(su.additionalgids());
  out.args = strings(p.args());
  out.env = strings(p.env());
  out.cwd = p.cwd().empty() ? "/" : p.cwd();
  if (p.has_capabilities()) {
    const grpc::LinuxCapabilities& c = p.capabilities();
    out.capabilities = container::Capabilities{strings(c.bounding()), strings(c.effective()),
                                               strings(c.inheritable()), strings(c.permitted()),
                                               strings(c.ambient())};
  }
  for (const grpc::POSIXRlimit& r : p.rlimits())
    out.rlimits.push_back({r.type(), r.hard(), r.soft()});
  out.no_new_privileges = p.nonewprivileges();
  if (p.oomscoreadj() != 0) out.oom_score_adj = static_cast<int>(p.oomscoreadj());
  if (p.user().has_umask()) out.umask = p.user().umask();
  return out;
}

container::Resources to_resources(const grpc::LinuxResources& r) {
  container::Resources out;
  if (r.has_memory()) {
    if (r.memory().limit() != 0) out.memory_limit = r.memory().limit();
    if (r.memory().swap() != 0) out.memory_swap = r.memory().swap();
    if (r.memory().reservation() != 0) out.memory_reservation = r.memory().reservation();
  }
  if (r.has_cpu()) {
    if (r.cpu().quota() != 0) out.cpu_quota = r.cpu().quota();
    if (r.cpu().period() != 0) out.cpu_period = r.cpu().period();
    if (r.cpu().shares() != 0) out.cpu_shares = r.cpu().shares();
    out.cpuset_cpus = r.cpu().cpus();
    out.cpuset_mems = r.cpu().mems();
  }
  if (r.has_pids() && r.pids().limit() != 0) out.pids_limit = r.pids().limit();
  for (const grpc::LinuxHugepageLimit& h : r.hugepagelimits()) {
    out.hugepage_limits.emplace_back(h.pagesize(), h.limit());
  }
  out.unified = {r.unified().begin(), r.unified().end()};
  for (const grpc::LinuxDeviceCgroup& d : r.devices()) {
    // An absent type means all devices, an absent access all of rwm (as crun reads them).
    char type = d.type().empty() ? 'a' : d.type()[0];
    out.devices.push_back(
        {d.allow(), type, d.major(), d.minor(), d.access().empty() ? "rwm" : d.access()});
  }
  return out;
}

Result<ContainerSpec> to_container_spec(const grpc::CreateContainerRequest& req) {
  if (!req.has_oci()) return Error(Code::kInvalidArgument, "CreateContainer without an OCI spec");
  const grpc::Spec& s = req.oci();
  if (s.root().path().empty() || s.root().path()[0] != '/') {
    return Error(Code::kInvalidArgument,
                 "root.path must be an absolute guest path, got `" + s.root().path() + "`");
  }
  if (!s.has_process() || s.process().args_size() == 0) {
    return Error(Code::kInvalidArgument, "process.args must not be empty");
  }
  KATA_TRY(check_supported(req));
  ContainerSpec out;
  out.id = req.container_id();
  out.root_path = s.root().path();
  out.root_readonly = s.root().readonly();
  out.hostname = s.hostname();
  out.domainname = s.domainname();
  for (const grpc::Mount& m : s.mounts()) {
    out.mounts.push_back({m.destination(), m.source(), m.type(), strings(m.options())});
  }
  out.process = to_process_spec(s.process(), req.string_user());
  const grpc::Linux& l = s.linux();
  out.masked_paths = strings(l.maskedpaths());
  out.readonly_paths = strings(l.readonlypaths());
  out.sysctls = {l.sysctl().begin(), l.sysctl().end()};
  for (const grpc::LinuxDevice& d : l.devices()) {
    char type = d.type().empty() ? 'c' : d.type()[0];
    out.devices.push_back({d.path(), type, d.major(), d.minor(), d.filemode() ? d.filemode() : 0666,
                           d.uid(), d.gid()});
  }
  out.cgroups_path = l.cgroupspath();
  out.resources = to_resources(l.resources());
  out.rootfs_propagation = l.rootfspropagation();
  out.seccomp = to_seccomp(l);
  for (const grpc::LinuxNamespace& ns : l.namespaces()) {
    if (ns.type() == "cgroup") out.cgroup_namespace = true;
    if (ns.type() == "ipc") out.ipc_namespace = true;
    if (ns.type() == "uts") out.uts_namespace = true;
  }
  out.sandbox_pidns = req.sandbox_pidns();
  return out;
}

grpc::StatsContainerResponse to_stats_response(const container::CgroupStats& s,
                                               const std::vector<network::LinkStats>& links) {
  grpc::StatsContainerResponse resp;
  grpc::CgroupStats* cg = resp.mutable_cgroup_stats();
  auto get = [](const std::map<std::string, uint64_t>& m, const char* key) {
    auto it = m.find(key);
    return it == m.end() ? uint64_t{0} : it->second;
  };
  // cgroup v2 counts microseconds; the v1-shaped message wants nanoseconds.
  grpc::CpuUsage* cpu = cg->mutable_cpu_stats()->mutable_cpu_usage();
  cpu->set_total_usage(get(s.cpu, "usage_usec") * 1000);
  cpu->set_usage_in_usermode(get(s.cpu, "user_usec") * 1000);
  cpu->set_usage_in_kernelmode(get(s.cpu, "system_usec") * 1000);
  grpc::ThrottlingData* thr = cg->mutable_cpu_stats()->mutable_throttling_data();
  thr->set_periods(get(s.cpu, "nr_periods"));
  thr->set_throttled_periods(get(s.cpu, "nr_throttled"));
  thr->set_throttled_time(get(s.cpu, "throttled_usec") * 1000);
  grpc::MemoryStats* mem = cg->mutable_memory_stats();
  mem->set_cache(get(s.memory, "file"));
  mem->set_use_hierarchy(true);
  mem->mutable_usage()->set_usage(s.memory_current);
  mem->mutable_usage()->set_limit(s.memory_max);
  mem->mutable_usage()->set_failcnt(s.memory_failcnt);
  for (const auto& [k, v] : s.memory) (*mem->mutable_stats())[k] = v;
  cg->mutable_pids_stats()->set_current(s.pids_current);
  cg->mutable_pids_stats()->set_limit(s.pids_max);
  add_network_stats(links, resp);
  return resp;
}

}  // namespace kata::agent
