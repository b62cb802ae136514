// The only file that sees toml++: its exceptions stop here.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "common/log.h"
#include "common/strings.h"
#include "config/json.h"
#include "config/load.h"

namespace kata::config {
namespace {

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// One [section] being read: each getter returns the key's value, or `fallback` when the
// key is absent, and remembers the key so that whatever is left over can be warned about.
class Section {
 public:
  Section(const toml::table* table, std::string name, const std::string& file)
      : table_(table), name_(std::move(name)), file_(file) {}

  Result<std::string> str(std::string_view key, std::string fallback) {
    const toml::node* n = find(key);
    if (n == nullptr) return fallback;
    if (!n->is_string()) return type_error(key, *n, "a string");
    return std::string(n->as_string()->get());
  }

  Result<std::string> abs_path(std::string_view key, std::string fallback) {
    KATA_ASSIGN_OR_RETURN(std::string v, str(key, std::move(fallback)));
    if (!v.empty() && v[0] != '/' && has(key)) {
      return error(*find(key), key, fmt::format("\"{}\" is not an absolute path", v));
    }
    return v;
  }

  Result<bool> boolean(std::string_view key, bool fallback) {
    const toml::node* n = find(key);
    if (n == nullptr) return fallback;
    if (!n->is_boolean()) return type_error(key, *n, "a boolean");
    return n->as_boolean()->get();
  }

  // 0 in the file means "the default", as in Kata.
  template <typename T>
  Result<T> count(std::string_view key, T fallback) {
    const toml::node* n = find(key);
    if (n == nullptr) return fallback;
    if (!n->is_integer()) return type_error(key, *n, "an integer");
    int64_t v = n->as_integer()->get();
    if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) {
      return error(*n, key,
                   fmt::format("{} is out of range (0 to {})", v, std::numeric_limits<T>::max()));
    }
    return v == 0 ? fallback : static_cast<T>(v);
  }

  Result<std::vector<std::string>> strings(std::string_view key,
                                           std::vector<std::string> fallback) {
    const toml::node* n = find(key);
    if (n == nullptr) return fallback;
    if (!n->is_array()) return type_error(key, *n, "an array of strings");
    std::vector<std::string> out;
    for (const toml::node& item : *n->as_array()) {
      if (!item.is_string()) return type_error(key, item, "an array of strings");
      out.emplace_back(item.as_string()->get());
    }
    return out;
  }

  template <typename E>
  Result<E> choice(std::string_view key, E fallback, std::optional<E> (*parse)(std::string_view),
                   std::string_view allowed) {
    KATA_ASSIGN_OR_RETURN(std::string v, str(key, ""));
    if (!has(key)) return fallback;
    if (std::optional<E> e = parse(v)) return *e;
    return error(*find(key), key, fmt::format("invalid value \"{}\" (expected {})", v, allowed));
  }

  // A nested table such as [hypervisor.qemu]; nullptr when absent.
  Result<const toml::table*> table(std::string_view key) {
    const toml::node* n = find(key);
    if (n == nullptr) return static_cast<const toml::table*>(nullptr);
    if (!n->is_table()) return type_error(key, *n, "a table");
    return n->as_table();
  }

  Error section_error(std::string_view what) const {
    return Error(Code::kInvalidArgument, fmt::format("parse `{}`: [{}]: {}", file_, name_, what));
  }

  bool has(std::string_view key) const { return table_ != nullptr && table_->contains(key); }

  // Keys nobody asked for: Kata has many we do not implement, so they are not fatal.
  void collect_unknown(std::vector<std::string>& warnings) const {
    if (table_ == nullptr) return;
    for (const auto& [k, v] : *table_) {
      if (seen_.count(std::string(k.str())) != 0) continue;
      warnings.push_back(fmt::format("`{}`: line {}: unknown key `{}` ignored", file_,
                                     k.source().begin.line, qualified(k.str())));
    }
  }

 private:
  const toml::node* find(std::string_view key) {
    seen_.emplace(key);
    return table_ == nullptr ? nullptr : table_->get(key);
  }
  Error error(const toml::node& n, std::string_view key, std::string_view what) const {
    return Error(Code::kInvalidArgument,
                 fmt::format("parse `{}`: line {}, column {}: key `{}`: {}", file_,
                             n.source().begin.line, n.source().begin.column, qualified(key), what));
  }
  std::string qualified(std::string_view key) const {
    return name_.empty() ? std::string(key) : fmt::format("{}.{}", name_, key);
  }
  Error type_error(std::string_view key, const toml::node& n, std::string_view expected) const {
    return error(n, key, fmt::format("expected {}, got {}", expected, type_name(n.type())));
  }

  const toml::table* table_;
  std::string name_;
  const std::string& file_;
  std::set<std::string, std::less<>> seen_;
};

// Kept as spelled: "never" is the Rust virtiofsd's name, the C one's "none".
std::optional<std::string> parse_virtio_fs_cache(std::string_view v) {
  if (v == "auto" || v == "always" || v == "none" || v == "never") return std::string(v);
  return std::nullopt;
}

Result<void> read_hypervisor(Section& s, HypervisorConfig& h) {
  KATA_ASSIGN_OR_RETURN(h.path, s.abs_path("path", h.path));
  KATA_ASSIGN_OR_RETURN(h.kernel, s.abs_path("kernel", h.kernel));
  KATA_ASSIGN_OR_RETURN(h.initrd, s.abs_path("initrd", h.initrd));
  KATA_ASSIGN_OR_RETURN(h.image, s.abs_path("image", h.image));
  KATA_ASSIGN_OR_RETURN(h.machine_type, s.choice("machine_type", h.machine_type, parse_machine_type,
                                                 "microvm or q35"));
  KATA_ASSIGN_OR_RETURN(h.kernel_params, s.str("kernel_params", h.kernel_params));
  KATA_ASSIGN_OR_RETURN(h.default_vcpus, s.count("default_vcpus", h.default_vcpus));
  KATA_ASSIGN_OR_RETURN(h.default_memory, s.count("default_memory", h.default_memory));
  KATA_ASSIGN_OR_RETURN(h.shared_fs,
                        s.choice("shared_fs", h.shared_fs, parse_shared_fs, "virtio-fs or none"));
  KATA_ASSIGN_OR_RETURN(h.virtio_fs_daemon, s.abs_path("virtio_fs_daemon", h.virtio_fs_daemon));
  KATA_ASSIGN_OR_RETURN(h.virtio_fs_cache,
                        s.choice("virtio_fs_cache", h.virtio_fs_cache, parse_virtio_fs_cache,
                                 "auto, always, none or never"));
  KATA_ASSIGN_OR_RETURN(h.virtio_fs_extra_args,
                        s.strings("virtio_fs_extra_args", h.virtio_fs_extra_args));
  KATA_ASSIGN_OR_RETURN(h.enable_debug, s.boolean("enable_debug", h.enable_debug));
  KATA_ASSIGN_OR_RETURN(h.reclaim_guest_freed_memory,
                        s.boolean("reclaim_guest_freed_memory", h.reclaim_guest_freed_memory));
  KATA_ASSIGN_OR_RETURN(
      h.accelerator, s.choice("accelerator", h.accelerator, parse_accelerator, "auto, kvm or tcg"));
  KATA_ASSIGN_OR_RETURN(h.tsc_khz, s.count("tsc_khz", h.tsc_khz));
  KATA_ASSIGN_OR_RETURN(h.seccompsandbox, s.str("seccompsandbox", h.seccompsandbox));
  KATA_ASSIGN_OR_RETURN(h.drop_capabilities, s.boolean("drop_capabilities", h.drop_capabilities));
  KATA_ASSIGN_OR_RETURN(h.console_log_max_bytes,
                        s.count("console_log_max_bytes", h.console_log_max_bytes));
  KATA_ASSIGN_OR_RETURN(h.enable_annotations,
                        s.strings("enable_annotations", h.enable_annotations));
  for (const std::string& pattern : h.enable_annotations) {
    try {
      std::regex compiled(pattern);
    } catch (const std::regex_error&) {
      return s.section_error(
          fmt::format("`enable_annotations`: `{}` is not a regular expression", pattern));
    }
  }
  if (h.console_log_max_bytes < kMinConsoleLogMaxBytes) {
    return s.section_error(fmt::format("`console_log_max_bytes` below the minimum of {} bytes",
                                       kMinConsoleLogMaxBytes));
  }
  // Kata boots either an initrd or an image; setting only `image` drops our default initrd.
  if (!h.image.empty() && !s.has("initrd")) h.initrd.clear();
  if (!h.image.empty() && !h.initrd.empty()) {
    return s.section_error("set either `image` or `initrd`, not both");
  }
  return {};
}

Result<void> read_agent(Section& s, AgentConfig& a) {
  KATA_ASSIGN_OR_RETURN(a.enable_debug, s.boolean("enable_debug", a.enable_debug));
  KATA_ASSIGN_OR_RETURN(a.dial_timeout, s.count("dial_timeout", a.dial_timeout));
  KATA_ASSIGN_OR_RETURN(a.kernel_modules, s.strings("kernel_modules", a.kernel_modules));
  KATA_ASSIGN_OR_RETURN(
      a.channel, s.choice("channel", a.channel, parse_agent_channel, "auto, vsock or serial"));
  return {};
}

Result<void> read_runtime(Section& s, RuntimeConfig& r) {
  KATA_ASSIGN_OR_RETURN(r.enable_debug, s.boolean("enable_debug", r.enable_debug));
  KATA_ASSIGN_OR_RETURN(r.internetworking_model,
                        s.choice("internetworking_model", r.internetworking_model,
                                 parse_internetworking_model, "tcfilter, macvtap or none"));
  KATA_ASSIGN_OR_RETURN(r.sandbox_cgroup_only,
                        s.boolean("sandbox_cgroup_only", r.sandbox_cgroup_only));
  return {};
}

// Reads `root.key.sub` with `read`, warning about everything else under `root.key`.
template <typename T>
Result<void> read_nested(Section& root, std::string_view key, std::string_view sub,
                         Result<void> (*read)(Section&, T&), T& into, const std::string& file,
                         std::vector<std::string>& warnings) {
  KATA_ASSIGN_OR_RETURN(const toml::table* outer, root.table(key));
  Section outer_section(outer, std::string(key), file);
  KATA_ASSIGN_OR_RETURN(const toml::table* inner, outer_section.table(sub));
  Section section(inner, fmt::format("{}.{}", key, sub), file);
  KATA_TRY(read(section, into));
  section.collect_unknown(warnings);
  outer_section.collect_unknown(warnings);
  return {};
}

Result<LoadedConfig> read_document(const toml::table& doc, const std::string& file) {
  LoadedConfig out;
  out.path = file;
  Section root(&doc, "", file);
  KATA_TRY(read_nested(root, "hypervisor", "qemu", read_hypervisor, out.config.hypervisor, file,
                       out.warnings));
  KATA_TRY(read_nested(root, "agent", "kata", read_agent, out.config.agent, file, out.warnings));
  KATA_ASSIGN_OR_RETURN(const toml::table* runtime, root.table("runtime"));
  Section runtime_section(runtime, "runtime", file);
  KATA_TRY(read_runtime(runtime_section, out.config.runtime));
  runtime_section.collect_unknown(out.warnings);
  root.collect_unknown(out.warnings);
  return out;
}

}  // namespace

Result<LoadedConfig> parse_config(std::string_view toml_text, const std::string& path) {
  toml::table doc;
  try {
    doc = toml::parse(toml_text, path);
  } catch (const toml::parse_error& e) {
    return Error(Code::kInvalidArgument,
                 fmt::format("parse `{}`: line {}, column {}: {}", path, e.source().begin.line,
                             e.source().begin.column, e.description()));
  }
  KATA_ASSIGN_OR_RETURN(LoadedConfig loaded, read_document(doc, path));
  for (const std::string& w : loaded.warnings) log::warn("{}", w);
  return loaded;
}

namespace {

// The effective configuration as one table: the single source of both the
// TOML and the JSON that `kata-runtime env` prints.
toml::table to_table(const Config& c) {
  const HypervisorConfig& h = c.hypervisor;
  toml::array modules;
  for (const std::string& m : c.agent.kernel_modules) modules.push_back(m);
  toml::array virtiofsd_args;
  for (const std::string& a : h.virtio_fs_extra_args) virtiofsd_args.push_back(a);
  toml::array annotations;
  for (const std::string& a : h.enable_annotations) annotations.push_back(a);
  toml::table qemu{
      {"path", h.path},
      {"kernel", h.kernel},
      {"initrd", h.initrd},
      {"image", h.image},
      {"machine_type", to_string(h.machine_type)},
      {"kernel_params", h.kernel_params},
      {"default_vcpus", static_cast<int64_t>(h.default_vcpus)},
      {"default_memory", static_cast<int64_t>(h.default_memory)},
      {"shared_fs", to_string(h.shared_fs)},
      {"virtio_fs_daemon", h.virtio_fs_daemon},
      {"virtio_fs_cache", h.virtio_fs_cache},
      {"virtio_fs_extra_args", std::move(virtiofsd_args)},
      {"enable_debug", h.enable_debug},
      {"reclaim_guest_freed_memory", h.reclaim_guest_freed_memory},
      {"accelerator", to_string(h.accelerator)},
      {"tsc_khz", static_cast<int64_t>(h.tsc_khz)},
      {"seccompsandbox", h.seccompsandbox},
      {"drop_capabilities", h.drop_capabilities},
      {"console_log_max_bytes", static_cast<int64_t>(h.console_log_max_bytes)},
      {"enable_annotations", std::move(annotations)},
  };
  toml::table agent{
      {"enable_debug", c.agent.enable_debug},
      {"dial_timeout", static_cast<int64_t>(c.agent.dial_timeout)},
      {"kernel_modules", std::move(modules)},
      {"channel", to_string(c.agent.channel)},
  };
  toml::table runtime{
      {"enable_debug", c.runtime.enable_debug},
      {"internetworking_model", to_string(c.runtime.internetworking_model)},
      {"sandbox_cgroup_only", c.runtime.sandbox_cgroup_only},
  };
  return toml::table{{"hypervisor", toml::table{{"qemu", std::move(qemu)}}},
                     {"agent", toml::table{{"kata", std::move(agent)}}},
                     {"runtime", std::move(runtime)}};
}

}  // namespace

std::string to_toml(const Config& c) {
  std::ostringstream os;
  os << to_table(c) << "\n";
  return os.str();
}

nlohmann::json to_json(const Config& c) {
  std::ostringstream os;
  os << toml::json_formatter{to_table(c)};
  return nlohmann::json::parse(os.str());
}

}  // namespace kata::config
