#pragma once

// What containerd's CRI plugin needs in the e2e harness: its section of containerd's
// config.toml, as a cluster node with Kata++ would have it (README.md shows the same
// handler), and the CNI network its pods get.

#include <string>

namespace kata::e2e {

struct CriSettings {
  std::string pause_image;  // sandbox_image
  std::string cni_conf_dir;
};

// [plugins."io.containerd.grpc.v1.cri"]: handlers `runc` (the default) and `kata`
// (io.containerd.kata.v2), restrict_oom_score_adj (this host cannot lower an
// oom_score_adj), the streaming server on a free loopback port.
std::string cri_plugin_toml(const CriSettings& settings);

}  // namespace kata::e2e
