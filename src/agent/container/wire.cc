// The InitConfig and status codec. Every struct's fields are listed once, in
// fields(); the encoder and the decoder both walk that list, so they cannot
// disagree on order or forget a field the other has.
#include "agent/container/wire.h"

#include <concepts>
#include <type_traits>

namespace kata::agent::container {
namespace {

template <typename M, typename T>
concept Is = std::same_as<std::remove_const_t<M>, T>;

template <Is<Mount> M, typename Io>
void fields(M& m, Io& io) {
  io(m.destination, m.source, m.type, m.options);
}
template <Is<User> M, typename Io>
void fields(M& u, Io& io) {
  io(u.uid, u.gid, u.additional_gids, u.username, u.group, u.additional_groups);
}
template <Is<Capabilities> M, typename Io>
void fields(M& c, Io& io) {
  io(c.bounding, c.effective, c.inheritable, c.permitted, c.ambient);
}
template <Is<Rlimit> M, typename Io>
void fields(M& r, Io& io) {
  io(r.type, r.hard, r.soft);
}
template <Is<ProcessSpec> M, typename Io>
void fields(M& p, Io& io) {
  io(p.terminal, p.rows, p.columns, p.user, p.args, p.env, p.cwd, p.capabilities, p.rlimits,
     p.no_new_privileges, p.oom_score_adj, p.umask);
}
template <Is<Device> M, typename Io>
void fields(M& d, Io& io) {
  io(d.path, d.type, d.major, d.minor, d.file_mode, d.uid, d.gid);
}
template <Is<SeccompArg> M, typename Io>
void fields(M& a, Io& io) {
  io(a.index, a.value, a.value_two, a.op);
}
template <Is<SeccompRule> M, typename Io>
void fields(M& r, Io& io) {
  io(r.names, r.action, r.errno_ret, r.args);
}
template <Is<Seccomp> M, typename Io>
void fields(M& s, Io& io) {
  io(s.default_action, s.default_errno_ret, s.architectures, s.flags, s.rules);
}
// Not cgroups_path nor resources: the agent has set the cgroup up before the init runs. Nor
// the namespace choices: the agent made them (clone flags, InitConfig.join_namespaces).
template <Is<ContainerSpec> M, typename Io>
void fields(M& s, Io& io) {
  io(s.id, s.root_path, s.root_readonly, s.hostname, s.domainname, s.mounts, s.process,
     s.masked_paths, s.readonly_paths, s.sysctls, s.devices, s.seccomp, s.rootfs_propagation,
     s.cgroup_namespace);
}
template <Is<InitConfig> M, typename Io>
void fields(M& c, Io& io) {
  io(c.mode, c.target_pid, c.cgroup_dir, c.spec, c.join_namespaces);
}

template <typename T>
concept Scalar = std::is_integral_v<T> || std::is_enum_v<T>;

// Scalars as 8 little-endian bytes, strings and containers with a 32-bit count,
// optionals with a presence byte. A config is a few KiB: compactness does not matter.
class Writer {
 public:
  template <typename... T>
  void operator()(const T&... v) {
    (put(v), ...);
  }
  std::string take() { return std::move(out_); }

 private:
  template <Scalar T>
  void put(T v) {
    auto u = static_cast<uint64_t>(v);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  void count(size_t n) { put(static_cast<uint32_t>(n)); }
  void put(const std::string& s) {
    count(s.size());
    out_.append(s);
  }
  template <typename T>
  void put(const std::vector<T>& v) {
    count(v.size());
    for (const T& e : v) put(e);
  }
  template <typename K, typename V>
  void put(const std::map<K, V>& m) {
    count(m.size());
    for (const auto& [k, v] : m) (*this)(k, v);
  }
  template <typename T>
  void put(const std::optional<T>& o) {
    put(o.has_value());
    if (o) put(*o);
  }
  template <typename T>
  void put(const T& s) requires requires(const T& t, Writer& w) {
    fields(t, w);
  }
  { fields(s, *this); }

  std::string out_;
};

// Reads what Writer wrote; an overrun or an absurd count fails the whole decode.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  template <typename... T>
  void operator()(T&... v) {
    (get(v), ...);
  }

 private:
  bool need(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  template <Scalar T>
  void get(T& v) {
    uint64_t u = 0;
    if (need(8)) {
      for (int i = 0; i < 8; ++i)
        u |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
    }
    v = static_cast<T>(u);
  }
  // Every element takes at least one byte: a count beyond what is left is a lie.
  size_t count() {
    uint32_t n = 0;
    get(n);
    if (n > in_.size() - pos_) ok_ = false;
    return ok_ ? n : 0;
  }
  void get(std::string& s) {
    size_t n = count();
    if (!need(n)) return;
    s.assign(in_.substr(pos_, n));
    pos_ += n;
  }
  template <typename T>
  void get(std::vector<T>& v) {
    v.clear();
    for (size_t n = count(); n > 0 && ok_; --n) get(v.emplace_back());
  }
  template <typename K, typename V>
  void get(std::map<K, V>& m) {
    m.clear();
    for (size_t n = count(); n > 0 && ok_; --n) {
      K k{};
      V v{};
      (*this)(k, v);
      m[std::move(k)] = std::move(v);
    }
  }
  template <typename T>
  void get(std::optional<T>& o) {
    bool present = false;
    get(present);
    o.reset();
    if (present && ok_) get(o.emplace());
  }
  template <typename T>
  void get(T& s) requires requires(T& t, Reader& r) {
    fields(t, r);
  }
  { fields(s, *this); }

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string encode_config(const InitConfig& c) {
  Writer w;
  w(c);
  return w.take();
}

Result<InitConfig> decode_config(std::string_view bytes) {
  Reader r(bytes);
  InitConfig c;
  r(c);
  if (!r.ok() || (c.mode != InitMode::kCreate && c.mode != InitMode::kExec)) {
    return Error(Code::kInvalidArgument, "decode container init config: truncated or corrupt");
  }
  return c;
}

std::string encode_ready() {
  Writer w;
  w(InitMsg::kReady);
  return w.take();
}

std::string encode_error(const Error& error) {
  Writer w;
  w(InitMsg::kError, error.code(), error.message());
  return w.take();
}

std::string encode_pid(pid_t pid) {
  Writer w;
  w(InitMsg::kPid, pid);
  return w.take();
}

std::string encode_console() {
  Writer w;
  w(InitMsg::kConsole);
  return w.take();
}

Result<InitStatus> decode_status(std::string_view bytes) {
  Reader r(bytes);
  InitStatus s;
  r(s.kind);
  switch (s.kind) {
    case InitMsg::kReady:
    case InitMsg::kConsole:
      break;
    case InitMsg::kPid:
      r(s.pid);
      break;
    case InitMsg::kError:
      r(s.code, s.message);
      break;
    default:
      return Error(Code::kInternal, "container init sent an unknown message");
  }
  if (!r.ok()) return Error(Code::kInternal, "container init sent a truncated message");
  return s;
}

}  // namespace kata::agent::container
