// Volumes and the files Kubernetes mounts (issue 12, item 2), as the kubelet hands them to
// containerd's CRI plugin (ContainerConfig.mounts with host paths it prepared), under the
// `runc` and `kata` handlers with the same observations: an emptyDir shared by the pod's
// containers (a host directory, and medium Memory, a host tmpfs), hostPath directories
// and files read-only and read-write, a configMap-style directory updated on the host the
// way the kubelet's atomic writer does it, /etc/hostname, /etc/hosts, /etc/resolv.conf,
// the pod's /dev/shm, the termination-message file; a symlink the container makes in a
// volume leads nowhere outside it on the host. Every pod leak-checked (cri_fixture.h).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"
#include "e2e/cri_fixture.h"

namespace kata::e2e {
namespace {

using namespace std::chrono_literals;

v1::Mount mount_of(const std::string& host, const std::string& container, bool readonly = false) {
  v1::Mount m;
  m.set_host_path(host);
  m.set_container_path(container);
  m.set_readonly(readonly);
  return m;
}

class CriVolumeTest : public CriPodFixture {
 protected:
  void SetUp() override {
    CriPodFixture::SetUp();
    // Where the kubelet would keep the pod's volumes: /var/lib/kubelet/pods/<uid>/volumes.
    volumes_ = env().dir() + "/kubelet/" + env().unique_id("pod") + "/volumes";
    ASSERT_TRUE(fs::mkdir_all(volumes_));
  }
  void TearDown() override {
    CriPodFixture::TearDown();
    for (const std::string& m : tmpfs_) ::umount2(m.c_str(), MNT_DETACH);
  }

  // An empty directory of the kubelet's kind `plugin` ("kubernetes.io~empty-dir"),
  // a tmpfs when `memory` (emptyDir medium: Memory).
  std::string volume_dir(const std::string& plugin, const std::string& name, bool memory = false) {
    std::string dir = volumes_ + "/" + plugin + "/" + name;
    EXPECT_TRUE(fs::mkdir_all(dir));
    if (memory) {
      EXPECT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=16m"), 0) << strerror(errno);
      tmpfs_.push_back(dir);
    }
    return dir;
  }

  // stdout of `cmd` in `id` once it prints `want` (up to 15 s): what a kubelet-updated
  // volume looks like in the container after the host changed it.
  std::string exec_until(const std::string& id, const std::vector<std::string>& cmd,
                         const std::string& want) {
    std::string out;
    for (auto end = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(200ms)) {
      Result<v1::ExecSyncResponse> r = cri().exec_sync(id, cmd, 30);
      out = r ? std::string(trim(r->stdout())) : r.error().message();
      if (out == want) break;
    }
    return out;
  }

  std::string volumes_;
  std::vector<std::string> tmpfs_;
};

TEST_P(CriVolumeTest, EmptyDirIsSharedByThePodsContainers) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("emptydir", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string disk = volume_dir("kubernetes.io~empty-dir", "scratch");
  std::string memory = volume_dir("kubernetes.io~empty-dir", "cache", true);
  auto with_volumes = [&](v1::ContainerConfig& c) {
    *c.add_mounts() = mount_of(disk, "/scratch");
    *c.add_mounts() = mount_of(memory, "/cache");
  };
  std::string writer = start_container(pod_id, pod, "writer", {"sleep", "3600"}, 0, with_volumes);
  std::string reader = start_container(pod_id, pod, "reader", {"sleep", "3600"}, 0, with_volumes);
  ASSERT_TRUE(cri::wait_for_state(cri(), reader, v1::CONTAINER_RUNNING, 30s));

  exec(writer, {"sh", "-c", "echo on-disk > /scratch/f && echo in-memory > /cache/f"});
  EXPECT_EQ(exec(reader, {"cat", "/scratch/f"}), "on-disk");
  EXPECT_EQ(exec(reader, {"cat", "/cache/f"}), "in-memory");
  EXPECT_EQ(exec(reader, {"stat", "-f", "-c", "%T", "/cache"}), "tmpfs");
  // The disk-backed one is the host's directory.
  Result<std::string> host = fs::read_file(disk + "/f");
  ASSERT_TRUE(host) << host.error().message();
  EXPECT_EQ(*host, "on-disk\n");
}

TEST_P(CriVolumeTest, HostPathsAreReadOnlyOrWritableAsAsked) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("hostpath", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string dir = env().dir() + "/" + env().unique_id("hostpath");
  ASSERT_TRUE(fs::mkdir_all(dir + "/ro"));
  ASSERT_TRUE(fs::mkdir_all(dir + "/rw"));
  ASSERT_TRUE(fs::write_file_atomic(dir + "/ro/data", "from-host\n"));
  ASSERT_TRUE(fs::write_file_atomic(dir + "/single", "one file\n"));
  std::string app =
      start_container(pod_id, pod, "app", {"sleep", "3600"}, 0, [&](v1::ContainerConfig& c) {
        *c.add_mounts() = mount_of(dir + "/ro", "/ro", true);
        *c.add_mounts() = mount_of(dir + "/rw", "/rw");
        *c.add_mounts() = mount_of(dir + "/single", "/etc/single.conf", true);
      });
  ASSERT_TRUE(cri::wait_for_state(cri(), app, v1::CONTAINER_RUNNING, 30s));

  EXPECT_EQ(exec(app, {"cat", "/ro/data"}), "from-host");
  EXPECT_EQ(exec(app, {"cat", "/etc/single.conf"}), "one file");
  for (const char* path : {"/ro/new", "/etc/single.conf"}) {
    Result<v1::ExecSyncResponse> w =
        cri().exec_sync(app, {"sh", "-c", std::string("echo x > ") + path}, 30);
    ASSERT_TRUE(w) << w.error().message();
    EXPECT_NE(w->exit_code(), 0) << path << " took a write";
    EXPECT_NE(w->stderr().find("Read-only file system"), std::string::npos) << w->stderr();
  }
  exec(app, {"sh", "-c", "echo from-container > /rw/out"});
  Result<std::string> out = fs::read_file(dir + "/rw/out");
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, "from-container\n");
  EXPECT_FALSE(fs::exists(dir + "/ro/new"));

  // A symlink the container makes in the volume resolves in the container, never on the
  // host: the write lands in the container's own /tmp.
  std::string marker = "escape-" + env().unique_id("m");
  exec(app, {"sh", "-c", "ln -s / /rw/root && echo x > /rw/root/tmp/" + marker});
  EXPECT_FALSE(fs::exists("/tmp/" + marker)) << "a write through a volume symlink reached the host";
  EXPECT_EQ(exec(app, {"cat", "/tmp/" + marker}), "x");
  ::unlink(("/tmp/" + marker).c_str());
}

// The kubelet's atomic writer: the files live in a timestamped directory, `..data` links
// to it, each key links through `..data`; an update writes a new directory and renames a
// new `..data` link over the old one.
Result<void> atomic_write(const std::string& dir, const std::string& version,
                          const std::string& value) {
  std::string ts = "..2026_" + version;
  KATA_TRY(fs::mkdir_all(dir + "/" + ts));
  KATA_TRY(fs::write_file_atomic(dir + "/" + ts + "/key", value));
  std::string tmp = dir + "/..data_tmp";
  ::unlink(tmp.c_str());
  if (::symlink(ts.c_str(), tmp.c_str()) != 0) return Error::from_errno(errno, "symlink " + tmp);
  if (::rename(tmp.c_str(), (dir + "/..data").c_str()) != 0)
    return Error::from_errno(errno, "rename ..data");
  if (!fs::exists(dir + "/key") && ::symlink("..data/key", (dir + "/key").c_str()) != 0)
    return Error::from_errno(errno, "symlink key");
  return {};
}

TEST_P(CriVolumeTest, ConfigMapUpdatesOnTheHostReachTheContainer) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("configmap", &pod);
  ASSERT_FALSE(pod_id.empty());
  std::string dir = volume_dir("kubernetes.io~configmap", "settings");
  ASSERT_TRUE(atomic_write(dir, "1", "first"));
  std::string app = start_container(
      pod_id, pod, "app", {"sleep", "3600"}, 0,
      [&](v1::ContainerConfig& c) { *c.add_mounts() = mount_of(dir, "/config", true); });
  ASSERT_TRUE(cri::wait_for_state(cri(), app, v1::CONTAINER_RUNNING, 30s));
  EXPECT_EQ(exec(app, {"cat", "/config/key"}), "first");
  ASSERT_TRUE(atomic_write(dir, "2", "second"));
  EXPECT_EQ(exec_until(app, {"cat", "/config/key"}, "second"), "second");
}

TEST_P(CriVolumeTest, PodFilesAreThePods) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("files", &pod, [](v1::PodSandboxConfig& c) {
    c.mutable_dns_config()->add_servers("10.96.0.10");
    c.mutable_dns_config()->add_searches("default.svc.cluster.local");
  });
  ASSERT_FALSE(pod_id.empty());
  std::string term_dir = env().dir() + "/" + env().unique_id("term");
  ASSERT_TRUE(fs::mkdir_all(term_dir));
  std::string term = term_dir + "/termination-log";
  ASSERT_TRUE(fs::write_file_atomic(term, ""));
  auto with_term = [&](v1::ContainerConfig& c) {
    *c.add_mounts() = mount_of(term, "/dev/termination-log");
  };
  std::string a = start_container(pod_id, pod, "a", {"sleep", "3600"});
  std::string c = start_container(pod_id, pod, "c", {"sleep", "3600"});
  std::string b = start_container(
      pod_id, pod, "b", {"sh", "-c", "sleep 2; echo goodbye > /dev/termination-log"}, 0, with_term);
  ASSERT_TRUE(cri::wait_for_state(cri(), a, v1::CONTAINER_RUNNING, 30s));
  ASSERT_TRUE(cri::wait_for_state(cri(), c, v1::CONTAINER_RUNNING, 30s));

  EXPECT_EQ(exec(a, {"cat", "/etc/hostname"}), pod.hostname());
  std::string resolv = exec(a, {"cat", "/etc/resolv.conf"});
  EXPECT_NE(resolv.find("nameserver 10.96.0.10"), std::string::npos) << resolv;
  EXPECT_NE(resolv.find("search default.svc.cluster.local"), std::string::npos) << resolv;
  std::string hosts = exec(a, {"cat", "/etc/hosts"});
  EXPECT_NE(hosts.find("localhost"), std::string::npos) << hosts;
  // The pod's /dev/shm: one for all its containers.
  exec(a, {"sh", "-c", "echo shared > /dev/shm/seg"});
  EXPECT_EQ(exec(c, {"cat", "/dev/shm/seg"}), "shared");
  EXPECT_EQ(exec(c, {"stat", "-f", "-c", "%T", "/dev/shm"}), "tmpfs");

  Result<v1::ContainerStatus> done = cri::wait_for_state(cri(), b, v1::CONTAINER_EXITED, 60s);
  ASSERT_TRUE(done) << done.error().message();
  Result<std::string> message = fs::read_file(term);
  ASSERT_TRUE(message) << message.error().message();
  EXPECT_EQ(*message, "goodbye\n");
}

// Mount propagation through a hostPath that is a shared mount on the host, as the kubelet
// requires for it: rslave (HostToContainer) brings a mount the host makes later into the
// container; rshared (Bidirectional, privileged containers only) also takes a mount the
// container makes back to the host. Under Kata++ the first crosses virtio-fs, the second
// stops at the VM (docs/kubernetes.md).
TEST_P(CriVolumeTest, MountPropagationAcrossTheShare) {
  v1::PodSandboxConfig pod;
  std::string pod_id = run_pod("propagation", &pod, [](v1::PodSandboxConfig& c) {
    c.mutable_linux()->mutable_security_context()->set_privileged(true);
  });
  ASSERT_FALSE(pod_id.empty());
  std::string dir = env().dir() + "/" + env().unique_id("shared");
  ASSERT_TRUE(fs::mkdir_all(dir + "/later"));
  ASSERT_TRUE(fs::mkdir_all(dir + "/back"));
  ASSERT_EQ(::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr), 0) << strerror(errno);
  tmpfs_.push_back(dir);
  ASSERT_EQ(::mount(nullptr, dir.c_str(), nullptr, MS_SHARED | MS_REC, nullptr), 0);
  std::string app =
      start_container(pod_id, pod, "app", {"sleep", "3600"}, 0, [&](v1::ContainerConfig& c) {
        v1::Mount slave = mount_of(dir, "/slave");
        slave.set_propagation(v1::PROPAGATION_HOST_TO_CONTAINER);
        *c.add_mounts() = slave;
        v1::Mount shared = mount_of(dir, "/shared");
        shared.set_propagation(v1::PROPAGATION_BIDIRECTIONAL);
        *c.add_mounts() = shared;
        c.mutable_linux()->mutable_security_context()->set_privileged(true);
      });
  ASSERT_TRUE(cri::wait_for_state(cri(), app, v1::CONTAINER_RUNNING, 30s));

  // Host to container.
  ASSERT_EQ(::mount("tmpfs", (dir + "/later").c_str(), "tmpfs", 0, "size=1m"), 0)
      << strerror(errno);
  tmpfs_.insert(tmpfs_.begin(), dir + "/later");
  ASSERT_TRUE(fs::write_file_atomic(dir + "/later/note", "mounted later\n"));
  std::string seen = exec_until(app, {"sh", "-c", "cat /slave/later/note 2>&1"}, "mounted later");
  // Container to host.
  exec(app, {"sh", "-c",
             "mount -t tmpfs tmpfs /shared/back && echo from-container > /shared/back/note"});
  bool back = false;
  for (auto end = std::chrono::steady_clock::now() + 5s;
       !back && std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(200ms))
    back = fs::exists(dir + "/back/note");
  if (back) tmpfs_.insert(tmpfs_.begin(), dir + "/back");
  std::printf("[ propagation ] %s: host->container `%s`, container->host %s\n", handler_.c_str(),
              seen.c_str(), back ? "yes" : "no");
  EXPECT_EQ(seen, "mounted later");
  if (kata()) {
    EXPECT_FALSE(back) << "a mount made in the VM reached the host";
  } else {
    EXPECT_TRUE(back);
  }
}

INSTANTIATE_TEST_SUITE_P(Handlers, CriVolumeTest, ::testing::Values("runc", "kata"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace kata::e2e
