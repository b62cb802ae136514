#include "agent/container/wire.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kata::agent::container {
namespace {

class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void u64(uint64_t v) {
    u32(static_cast<uint32_t>(v));
    u32(static_cast<uint32_t>(v >> 32));
  }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void strs(const std::vector<std::string>& v) {
    u32(static_cast<uint32_t>(v.size()));
    for (const std::string& s : v) str(s);
  }
  template <typename T>
  void opt_i64(const std::optional<T>& v) {
    u8(v.has_value());
    if (v) i64(static_cast<int64_t>(*v));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what Writer wrote; any overrun marks the whole decode failed.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
    return v;
  }
  uint64_t u64() {
    uint64_t lo = u32();
    return lo | (static_cast<uint64_t>(u32()) << 32);
  }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  std::string str() {
    uint32_t n = u32();
    if (!need(n)) return {};
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::vector<std::string> strs() {
    std::vector<std::string> v;
    uint32_t n = u32();
    for (uint32_t i = 0; i < n && ok_; ++i) v.push_back(str());
    return v;
  }
  template <typename T>
  std::optional<T> opt_i64() {
    if (!u8()) return std::nullopt;
    return static_cast<T>(i64());
  }
  // Bounds a count read from the wire before a loop uses it.
  uint32_t count() {
    uint32_t n = u32();
    if (n > in_.size()) ok_ = false;
    return ok_ ? n : 0;
  }

 private:
  bool need(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void put_process(Writer& w, const ProcessSpec& p) {
  w.u8(p.terminal);
  w.u32(p.rows);
  w.u32(p.columns);
  w.u32(p.user.uid);
  w.u32(p.user.gid);
  w.u32(static_cast<uint32_t>(p.user.additional_gids.size()));
  for (uint32_t g : p.user.additional_gids) w.u32(g);
  w.str(p.user.username);
  w.str(p.user.group);
  w.strs(p.user.additional_groups);
  w.strs(p.args);
  w.strs(p.env);
  w.str(p.cwd);
  w.u8(p.capabilities.has_value());
  if (p.capabilities) {
    const Capabilities& c = *p.capabilities;
    for (const auto* set : {&c.bounding, &c.effective, &c.inheritable, &c.permitted, &c.ambient})
      w.strs(*set);
  }
  w.u32(static_cast<uint32_t>(p.rlimits.size()));
  for (const Rlimit& r : p.rlimits) {
    w.str(r.type);
    w.u64(r.hard);
    w.u64(r.soft);
  }
  w.u8(p.no_new_privileges);
  w.opt_i64(p.oom_score_adj);
  w.opt_i64(p.umask);
}

ProcessSpec get_process(Reader& r) {
  ProcessSpec p;
  p.terminal = r.u8();
  p.rows = r.u32();
  p.columns = r.u32();
  p.user.uid = r.u32();
  p.user.gid = r.u32();
  for (uint32_t n = r.count(); n > 0; --n) p.user.additional_gids.push_back(r.u32());
  p.user.username = r.str();
  p.user.group = r.str();
  p.user.additional_groups = r.strs();
  p.args = r.strs();
  p.env = r.strs();
  p.cwd = r.str();
  if (r.u8()) {
    Capabilities c;
    for (auto* set : {&c.bounding, &c.effective, &c.inheritable, &c.permitted, &c.ambient})
      *set = r.strs();
    p.capabilities = std::move(c);
  }
  for (uint32_t n = r.count(); n > 0; --n) {
    Rlimit l;
    l.type = r.str();
    l.hard = r.u64();
    l.soft = r.u64();
    p.rlimits.push_back(std::move(l));
  }
  p.no_new_privileges = r.u8();
  p.oom_score_adj = r.opt_i64<int>();
  p.umask = r.opt_i64<uint32_t>();
  return p;
}

void put_seccomp(Writer& w, const std::optional<Seccomp>& s) {
  w.u8(s.has_value());
  if (!s) return;
  w.str(s->default_action);
  w.opt_i64(s->default_errno_ret);
  w.strs(s->architectures);
  w.strs(s->flags);
  w.u32(static_cast<uint32_t>(s->rules.size()));
  for (const SeccompRule& rule : s->rules) {
    w.strs(rule.names);
    w.str(rule.action);
    w.opt_i64(rule.errno_ret);
    w.u32(static_cast<uint32_t>(rule.args.size()));
    for (const SeccompArg& a : rule.args) {
      w.u32(a.index);
      w.u64(a.value);
      w.u64(a.value_two);
      w.str(a.op);
    }
  }
}

std::optional<Seccomp> get_seccomp(Reader& r) {
  if (!r.u8()) return std::nullopt;
  Seccomp s;
  s.default_action = r.str();
  s.default_errno_ret = r.opt_i64<uint32_t>();
  s.architectures = r.strs();
  s.flags = r.strs();
  for (uint32_t n = r.count(); n > 0; --n) {
    SeccompRule rule;
    rule.names = r.strs();
    rule.action = r.str();
    rule.errno_ret = r.opt_i64<uint32_t>();
    for (uint32_t m = r.count(); m > 0; --m) {
      SeccompArg a;
      a.index = r.u32();
      a.value = r.u64();
      a.value_two = r.u64();
      a.op = r.str();
      rule.args.push_back(std::move(a));
    }
    s.rules.push_back(std::move(rule));
  }
  return s;
}

}  // namespace

std::string encode_config(const InitConfig& c) {
  Writer w;
  const ContainerSpec& s = c.spec;
  w.u8(static_cast<uint8_t>(c.mode));
  w.u32(static_cast<uint32_t>(c.target_pid));
  w.str(c.cgroup_dir);
  w.str(s.id);
  w.str(s.root_path);
  w.u8(s.root_readonly);
  w.str(s.hostname);
  w.str(s.domainname);
  w.u32(static_cast<uint32_t>(s.mounts.size()));
  for (const Mount& m : s.mounts) {
    w.str(m.destination);
    w.str(m.source);
    w.str(m.type);
    w.strs(m.options);
  }
  put_process(w, s.process);
  w.strs(s.masked_paths);
  w.strs(s.readonly_paths);
  w.u32(static_cast<uint32_t>(s.sysctls.size()));
  for (const auto& [k, v] : s.sysctls) {
    w.str(k);
    w.str(v);
  }
  w.u32(static_cast<uint32_t>(s.devices.size()));
  for (const Device& d : s.devices) {
    w.str(d.path);
    w.u8(static_cast<uint8_t>(d.type));
    w.i64(d.major);
    w.i64(d.minor);
    w.u32(d.file_mode);
    w.u32(d.uid);
    w.u32(d.gid);
  }
  put_seccomp(w, s.seccomp);
  w.str(s.rootfs_propagation);
  w.u8(s.cgroup_namespace);
  return w.take();
}

Result<InitConfig> decode_config(std::string_view bytes) {
  Reader r(bytes);
  InitConfig c;
  ContainerSpec& s = c.spec;
  c.mode = static_cast<InitMode>(r.u8());
  c.target_pid = static_cast<pid_t>(r.u32());
  c.cgroup_dir = r.str();
  s.id = r.str();
  s.root_path = r.str();
  s.root_readonly = r.u8();
  s.hostname = r.str();
  s.domainname = r.str();
  for (uint32_t n = r.count(); n > 0; --n) {
    Mount m;
    m.destination = r.str();
    m.source = r.str();
    m.type = r.str();
    m.options = r.strs();
    s.mounts.push_back(std::move(m));
  }
  s.process = get_process(r);
  s.masked_paths = r.strs();
  s.readonly_paths = r.strs();
  for (uint32_t n = r.count(); n > 0; --n) {
    std::string k = r.str();
    s.sysctls[k] = r.str();
  }
  for (uint32_t n = r.count(); n > 0; --n) {
    Device d;
    d.path = r.str();
    d.type = static_cast<char>(r.u8());
    d.major = r.i64();
    d.minor = r.i64();
    d.file_mode = r.u32();
    d.uid = r.u32();
    d.gid = r.u32();
    s.devices.push_back(std::move(d));
  }
  s.seccomp = get_seccomp(r);
  s.rootfs_propagation = r.str();
  s.cgroup_namespace = r.u8();
  if (!r.ok() || (c.mode != InitMode::kCreate && c.mode != InitMode::kExec)) {
    return Error(Code::kInvalidArgument, "decode container init config: truncated or corrupt");
  }
  return c;
}

std::string encode_error(const Error& error) {
  Writer w;
  w.u8(static_cast<uint8_t>(InitMsg::kError));
  w.u32(static_cast<uint32_t>(error.code()));
  w.str(error.message());
  return w.take();
}

std::string encode_pid(pid_t pid) {
  Writer w;
  w.u8(static_cast<uint8_t>(InitMsg::kPid));
  w.u32(static_cast<uint32_t>(pid));
  return w.take();
}

std::string encode_console() { return std::string(1, static_cast<char>(InitMsg::kConsole)); }

Result<InitStatus> decode_status(std::string_view bytes) {
  Reader r(bytes);
  InitStatus s;
  s.kind = static_cast<InitMsg>(r.u8());
  switch (s.kind) {
    case InitMsg::kReady:
    case InitMsg::kConsole:
      break;
    case InitMsg::kPid:
      s.pid = static_cast<pid_t>(r.u32());
      break;
    case InitMsg::kError:
      s.code = static_cast<Code>(r.u32());
      s.message = r.str();
      break;
    default:
      return Error(Code::kInternal, "container init sent an unknown message");
  }
  if (!r.ok()) return Error(Code::kInternal, "container init sent a truncated message");
  return s;
}

namespace {

// The first chunk of a frame carries `pass_fd`, so the descriptor arrives
// with the frame's first bytes.
ssize_t send_chunk(int fd, const char* data, size_t n, int pass_fd) {
  iovec iov{const_cast<char*>(data), n};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (pass_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  return ::sendmsg(fd, &msg, MSG_NOSIGNAL);
}

// Reads up to `n` bytes; a descriptor that comes along replaces `*got_fd`.
ssize_t recv_chunk(int fd, char* data, size_t n, UniqueFd* got_fd) {
  iovec iov{data, n};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // Room for a few: extra descriptors must be received (and closed), not left
  // to the kernel's truncation.
  alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t r = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  if (r < 0) return r;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      got_fd->reset(received);
    }
  }
  return r;
}

// 1 = got all, 0 = clean EOF before the first byte, error otherwise.
Result<bool> read_full(int fd, char* buf, size_t n, UniqueFd* got_fd) {
  size_t off = 0;
  while (off < n) {
    ssize_t r = recv_chunk(fd, buf + off, n - off, got_fd);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error::from_errno(errno, "read from container init socket");
    if (r == 0) {
      if (off == 0) return false;
      return Error(Code::kInternal, "container init socket: truncated frame");
    }
    off += static_cast<size_t>(r);
  }
  return true;
}

}  // namespace

Result<void> write_frame(int fd, std::string_view payload, int pass_fd) {
  std::string frame;
  uint32_t n = static_cast<uint32_t>(payload.size());
  frame.append(reinterpret_cast<const char*>(&n), 4);
  frame.append(payload);
  size_t off = 0;
  while (off < frame.size()) {
    ssize_t w = send_chunk(fd, frame.data() + off, frame.size() - off, off == 0 ? pass_fd : -1);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Error::from_errno(errno, "write to container init socket");
    off += static_cast<size_t>(w);
  }
  return {};
}

Result<Frame> read_frame_with_fd(int fd) {
  Frame frame;
  uint32_t n = 0;
  // Reads never ask for more than the frame: a descriptor sent with the next
  // frame stays with it.
  KATA_ASSIGN_OR_RETURN(bool got, read_full(fd, reinterpret_cast<char*>(&n), 4, &frame.fd));
  if (!got) return Error(Code::kUnavailable, "container init socket closed");
  if (n > kMaxFrame) return Error(Code::kInternal, "container init socket: oversized frame");
  frame.payload.assign(n, '\0');
  KATA_ASSIGN_OR_RETURN(bool full, read_full(fd, frame.payload.data(), n, &frame.fd));
  if (!full && n > 0) return Error(Code::kInternal, "container init socket: truncated frame");
  return frame;
}

Result<std::string> read_frame(int fd) {
  KATA_ASSIGN_OR_RETURN(Frame frame, read_frame_with_fd(fd));
  return std::move(frame.payload);
}

}  // namespace kata::agent::container
