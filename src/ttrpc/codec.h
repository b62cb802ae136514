#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "ttrpc.pb.h"

// The one place where ttrpc.Request / ttrpc.Response / google.rpc.Status meet
// kata::Result, so that the server and client never map codes themselves.
namespace kata::ttrpc {

// A status code off the wire; values outside the gRPC range become UNKNOWN.
Code code_from_wire(int32_t code);

// Serialized ttrpc.Response: OK status plus payload, or the error's code and
// message. An Error that claims OK is sent as UNKNOWN, so that a bug can never
// look like success.
std::string encode_response(const Result<std::string>& result);

// The payload of an OK response, or Error(code, message) for any other
// status; DATA_LOSS if `data` is not a ttrpc.Response.
Result<std::string> decode_response(std::string_view data);

// Serialized ttrpc.Request.
std::string encode_request(std::string_view service, std::string_view method, std::string payload,
                           int64_t timeout_nano);

Result<::ttrpc::Request> decode_request(std::string_view data);

}  // namespace kata::ttrpc
