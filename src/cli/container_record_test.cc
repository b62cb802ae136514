#include "cli/container_record.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/fs.h"

namespace kata::cli {
namespace {

ContainerRecord sample() {
  ContainerRecord r;
  r.id = "c1";
  r.bundle = "/b";
  r.rootfs = "/b/rootfs";
  r.sandbox_id = "c1";
  r.socket = "/run/k/c1/service.sock";
  r.service = {100, 5};
  r.relay = {101, 6};
  r.created = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1764887820884067206));
  r.annotations = {{"a", "b"}};
  return r;
}

TEST(ContainerRecordTest, RoundTrips) {
  Result<ContainerRecord> back = decode_record(encode_record(sample()));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->id, "c1");
  EXPECT_EQ(back->socket, "/run/k/c1/service.sock");
  EXPECT_EQ(back->service, (sys::ProcessIdentity{100, 5}));
  EXPECT_EQ(back->relay, (sys::ProcessIdentity{101, 6}));
  EXPECT_EQ(back->created, sample().created);
  EXPECT_EQ(back->annotations.at("a"), "b");
}

TEST(ContainerRecordTest, RefusesWhatItDidNotWrite) {
  EXPECT_FALSE(decode_record("{"));
  EXPECT_FALSE(decode_record("[]"));
  EXPECT_FALSE(decode_record(R"({"version": 2})"));
  std::string hostile = encode_record(sample());
  hostile.replace(hostile.find("\"c1\""), 4, "\"../x\"");
  Result<ContainerRecord> bad = decode_record(hostile);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("../x"), std::string::npos) << bad.error().message();
}

TEST(ContainerRecordTest, ReadsWritesAndListsUnderRoot) {
  char tmpl[] = "/tmp/kata-record-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string root = tmpl;
  Result<ContainerRecord> missing = read_record(root, "c1");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_EQ(missing.error().message(), "container does not exist");
  EXPECT_FALSE(read_record(root, "../etc"));  // a hostile id names nothing
  ASSERT_TRUE(fs::mkdir_all(container_dir(root, "c1")));
  ASSERT_TRUE(write_record(root, sample()));
  ASSERT_TRUE(fs::mkdir_all(container_dir(root, "no-record")));
  Result<ContainerRecord> read = read_record(root, "c1");
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->bundle, "/b");
  std::vector<ContainerRecord> all = list_records(root);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "c1");
  (void)fs::remove_all(root);
}

TEST(ContainerRecordTest, ServiceSocketsAreShortAndApartPerRootAndId) {
  std::string id(64, 'a');
  std::string docker = service_socket("/var/run/docker/runtime-runc/moby", id);
  EXPECT_LE(docker.size(), 107u) << docker;
  EXPECT_EQ(docker.rfind(kServiceSocketDir, 0), 0u);
  EXPECT_NE(docker, service_socket("/run/kata-runtime", id));
  EXPECT_NE(docker, service_socket("/var/run/docker/runtime-runc/moby", std::string(64, 'b')));
  EXPECT_EQ(docker, service_socket("/var/run/docker/runtime-runc/moby", id));
}

TEST(ContainerRecordTest, CreatedIsPrintedAsGoPrintsRfc3339Nano) {
  using std::chrono::nanoseconds;
  using std::chrono::system_clock;
  EXPECT_EQ(rfc3339_nano(system_clock::time_point(nanoseconds(1764887820884067206))),
            "2025-12-04T22:37:00.884067206Z");
  EXPECT_EQ(rfc3339_nano(system_clock::time_point(nanoseconds(1764887820500000000))),
            "2025-12-04T22:37:00.5Z");
  EXPECT_EQ(rfc3339_nano(system_clock::time_point(nanoseconds(1764887820000000000))),
            "2025-12-04T22:37:00Z");
}

}  // namespace
}  // namespace kata::cli
