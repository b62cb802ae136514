#include "e2e/cni_exec.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/strings.h"
#include "common/unique_fd.h"
#include "sys/subprocess.h"

namespace kata::e2e::cni {
namespace {

using nlohmann::json;

// Runs one plugin binary the way libcni does: the configuration on stdin, the request
// in CNI_* variables, the result (or an error object) on stdout.
Result<std::string> exec_plugin(const std::string& command, const std::string& type,
                                const Invocation& inv, const std::string& config) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::from_errno(errno, "pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  // A plugin configuration is a few hundred bytes: the pipe's buffer holds it all.
  if (::write(write_end.get(), config.data(), config.size()) != ssize_t(config.size()))
    return Error::from_errno(errno, "write plugin configuration");
  write_end.reset();
  sys::SpawnOptions options{
      .argv = {std::string(kCniPluginDir) + "/" + type},
      .env = {{"CNI_COMMAND", command},
              {"CNI_CONTAINERID", inv.container_id},
              {"CNI_NETNS", inv.netns},
              {"CNI_IFNAME", inv.ifname},
              {"CNI_PATH", kCniPluginDir}},
      .in = sys::Stdio::fd(read_end.get()),
  };
  std::string what =
      fmt::format("CNI {} of `{}` ({}) in `{}`", command, type, inv.ifname, inv.netns);
  Result<sys::CapturedOutput> out = sys::run_capture(options, std::chrono::seconds(60));
  if (!out) return std::move(out).error().context(what);
  if (!out->status.success()) {
    return Error(Code::kInternal, fmt::format("{}: {}; stdout `{}`; stderr `{}`; stdin `{}`", what,
                                              out->status.describe(), one_line(out->out),
                                              one_line(out->err), config));
  }
  return out->out;
}

// What CNI 1.0 says a runtime hands plugin `i` of a list: its own object plus the list's
// name and version, the previous result, and runtimeConfig for its capabilities.
std::string plugin_config(const json& list, const json& plugin, const std::string& prev_result,
                          const std::vector<PortMapping>& ports) {
  json config = plugin;
  config["name"] = list.at("name");
  config["cniVersion"] = list.at("cniVersion");
  if (!prev_result.empty()) config["prevResult"] = json::parse(prev_result);
  if (plugin.contains("capabilities") && plugin["capabilities"].value("portMappings", false)) {
    json mappings = json::array();
    for (const PortMapping& p : ports)
      mappings.push_back({{"hostPort", p.host_port},
                          {"containerPort", p.container_port},
                          {"protocol", p.protocol}});
    config["runtimeConfig"]["portMappings"] = mappings;
  }
  return config.dump();
}

// The plugins of `conflist`, each with its type, or an error naming what is wrong.
Result<std::vector<json>> plugins_of(const std::string& conflist, json& list) {
  list = json::parse(conflist, nullptr, false);
  if (list.is_discarded() || !list.is_object() || !list.contains("plugins") ||
      !list["plugins"].is_array())
    return Error(Code::kInvalidArgument, "conflist without a plugins array: " + conflist);
  std::vector<json> plugins;
  for (const json& p : list["plugins"]) {
    if (!p.is_object() || !p.contains("type") || !p["type"].is_string())
      return Error(Code::kInvalidArgument, "conflist plugin without a type: " + p.dump());
    plugins.push_back(p);
  }
  return plugins;
}

}  // namespace

std::string bridge_conflist(const std::string& network, const std::string& ipam_dir,
                            const std::string& bridge, const std::string& subnet) {
  json list = {
      {"cniVersion", "1.0.0"},
      {"name", network},
      {"plugins",
       {{{"type", "bridge"},
         {"bridge", bridge},
         {"isGateway", true},
         {"ipMasq", false},
         {"ipam",
          {{"type", "host-local"},
           {"ranges", {{{{"subnet", subnet}}}}},
           {"routes", {{{"dst", "0.0.0.0/0"}}}},
           {"dataDir", ipam_dir}}}},
        {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}, {"snat", true}}}}};
  return list.dump();
}

std::string loopback_conflist() {
  return R"({"cniVersion":"1.0.0","name":"cni-loopback","plugins":[{"type":"loopback"}]})";
}

Result<std::string> add(const std::string& conflist, const Invocation& inv,
                        const std::vector<PortMapping>& ports) {
  try {
    json list;
    KATA_ASSIGN_OR_RETURN(std::vector<json> plugins, plugins_of(conflist, list));
    std::string prev;
    for (const json& plugin : plugins) {
      KATA_ASSIGN_OR_RETURN(prev, exec_plugin("ADD", plugin["type"].get<std::string>(), inv,
                                              plugin_config(list, plugin, prev, ports)));
      if (json::parse(prev, nullptr, false).is_discarded())
        return Error(Code::kInternal, fmt::format("CNI ADD of `{}` printed no JSON: `{}`",
                                                  plugin["type"].get<std::string>(), prev));
    }
    return prev;
  } catch (const json::exception& e) {
    return Error(Code::kInternal, std::string("CNI ADD: ") + e.what());
  }
}

Result<void> del(const std::string& conflist, const Invocation& inv,
                 const std::vector<PortMapping>& ports, const std::string& prev_result) {
  try {
    json list;
    KATA_ASSIGN_OR_RETURN(std::vector<json> plugins, plugins_of(conflist, list));
    Result<void> first;
    for (auto it = plugins.rbegin(); it != plugins.rend(); ++it) {
      Result<std::string> done = exec_plugin("DEL", (*it)["type"].get<std::string>(), inv,
                                             plugin_config(list, *it, prev_result, ports));
      if (!done && first) first = std::move(done).error();
    }
    return first;
  } catch (const json::exception& e) {
    return Error(Code::kInternal, std::string("CNI DEL: ") + e.what());
  }
}

Result<CniResult> parse_result(const std::string& text, const std::string& ifname) {
  CniResult r;
  r.json = text;
  r.ifname = ifname;
  try {
    json result = json::parse(text);
    const json& interfaces = result.at("interfaces");
    int index = -1;
    for (size_t i = 0; i < interfaces.size(); ++i) {
      // The host side of a veth has the same name in its own namespace: "sandbox" tells.
      if (interfaces[i].value("name", "") == ifname && !interfaces[i].value("sandbox", "").empty())
        index = int(i);
    }
    if (index < 0) return Error(Code::kNotFound, "no interface " + ifname + " in " + text);
    r.mac = interfaces[index].value("mac", "");
    r.mtu = interfaces[index].value("mtu", 0);
    std::string address_gateway;
    for (const json& ip : result.value("ips", json::array())) {
      std::string address = ip.value("address", "");
      if (ip.value("interface", -1) != index || address.find('.') == std::string::npos) continue;
      r.address = address;
      address_gateway = ip.value("gateway", "");
    }
    for (const json& route : result.value("routes", json::array())) {
      if (route.value("dst", "") == "0.0.0.0/0")
        r.default_gateway = route.value("gw", address_gateway);
    }
  } catch (const json::exception& e) {
    return Error(Code::kInvalidArgument, fmt::format("CNI result `{}`: {}", text, e.what()));
  }
  if (r.mac.empty() || r.address.empty() || r.default_gateway.empty())
    return Error(Code::kInvalidArgument,
                 "CNI result without MAC, IPv4 address or default route "
                 "for " +
                     ifname + ": " + text);
  return r;
}

Result<void> make_netns(const std::string& path) {
  UniqueFd file(::open(path.c_str(), O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0444));
  if (!file) return Error::from_errno(errno, fmt_path("create", path));
  file.reset();
  // A thread of our own leaves the namespace: the test's threads never change theirs.
  Result<void> made;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0)
      made = Error::from_errno(errno, "unshare network namespace");
    else if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0)
      made = Error::from_errno(errno, fmt_path("bind-mount a network namespace on", path));
  }).join();
  if (!made) (void)::unlink(path.c_str());
  return made;
}

Result<void> remove_netns(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0)
    return Error::from_errno(errno, fmt_path("unmount", path));
  if (::unlink(path.c_str()) != 0) return Error::from_errno(errno, fmt_path("remove", path));
  return {};
}

}  // namespace kata::e2e::cni
