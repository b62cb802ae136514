#include "ttrpc/codec.h"

#include <gtest/gtest.h>

#include "status.pb.h"

namespace kata::ttrpc {
namespace {

TEST(CodecTest, OkResponseRoundTrip) {
  Result<std::string> back = decode_response(encode_response(std::string("payload")));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, "payload");
}

TEST(CodecTest, ErrorResponseKeepsCodeAndMessage) {
  Result<std::string> back =
      decode_response(encode_response(Error(Code::kNotFound, "container abc not found")));
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code(), Code::kNotFound);
  EXPECT_EQ(back.error().message(), "container abc not found");
}

TEST(CodecTest, ErrorClaimingOkIsSentAsUnknown) {
  Result<std::string> back = decode_response(encode_response(Error(Code::kOk, "confused")));
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code(), Code::kUnknown);
}

TEST(CodecTest, WireCodesOutsideGrpcRangeAreUnknown) {
  EXPECT_EQ(code_from_wire(-1), Code::kUnknown);
  EXPECT_EQ(code_from_wire(17), Code::kUnknown);
  EXPECT_EQ(code_from_wire(14), Code::kUnavailable);
  ::ttrpc::Response response;
  response.mutable_status()->set_code(99);
  Result<std::string> back = decode_response(response.SerializeAsString());
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code(), Code::kUnknown);
}

TEST(CodecTest, ResponseWithoutStatusIsOk) {
  ::ttrpc::Response response;
  response.set_payload("p");
  Result<std::string> back = decode_response(response.SerializeAsString());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, "p");
}

TEST(CodecTest, GarbageIsNotAResponseOrRequest) {
  const std::string garbage("\xff\xff\xff\xff", 4);
  Result<std::string> response = decode_response(garbage);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), Code::kDataLoss);
  Result<::ttrpc::Request> request = decode_request(garbage);
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().code(), Code::kInvalidArgument);
}

TEST(CodecTest, RequestRoundTrip) {
  Result<::ttrpc::Request> request =
      decode_request(encode_request("grpc.AgentService", "CreateContainer", "body", 1500));
  ASSERT_TRUE(request);
  EXPECT_EQ(request->service(), "grpc.AgentService");
  EXPECT_EQ(request->method(), "CreateContainer");
  EXPECT_EQ(request->payload(), "body");
  EXPECT_EQ(request->timeout_nano(), 1500);
}

}  // namespace
}  // namespace kata::ttrpc
