#include "ttrpc/codec.h"

#include "status.pb.h"

namespace kata::ttrpc {

Code code_from_wire(int32_t code) {
  if (code < static_cast<int32_t>(Code::kOk) ||
      code > static_cast<int32_t>(Code::kUnauthenticated)) {
    return Code::kUnknown;
  }
  return static_cast<Code>(code);
}

std::string encode_response(const Result<std::string>& result) {
  ::ttrpc::Response response;
  google::rpc::Status* status = response.mutable_status();
  if (result) {
    status->set_code(static_cast<int32_t>(Code::kOk));
    response.set_payload(*result);
  } else {
    Code code = result.error().code() == Code::kOk ? Code::kUnknown : result.error().code();
    status->set_code(static_cast<int32_t>(code));
    status->set_message(result.error().message());
  }
  return response.SerializeAsString();
}

Result<std::string> decode_response(std::string_view data) {
  ::ttrpc::Response response;
  if (!response.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    return Error(Code::kDataLoss, "decode response: not a valid ttrpc.Response");
  }
  // A response without a status is a success, as in containerd/ttrpc.
  if (response.has_status() && response.status().code() != static_cast<int32_t>(Code::kOk)) {
    return Error(code_from_wire(response.status().code()), response.status().message());
  }
  return std::move(*response.mutable_payload());
}

std::string encode_request(std::string_view service, std::string_view method, std::string payload,
                           int64_t timeout_nano) {
  ::ttrpc::Request request;
  request.set_service(std::string(service));
  request.set_method(std::string(method));
  request.set_payload(std::move(payload));
  request.set_timeout_nano(timeout_nano);
  return request.SerializeAsString();
}

Result<::ttrpc::Request> decode_request(std::string_view data) {
  ::ttrpc::Request request;
  if (!request.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    return Error(Code::kInvalidArgument, "decode request: payload is not a valid ttrpc.Request");
  }
  return request;
}

}  // namespace kata::ttrpc
