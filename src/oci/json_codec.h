#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "common/result.h"

namespace kata::oci {

// A strict JSON codec for the messages of proto/oci.proto, driven by protobuf reflection and
// each field's json_name (its runtime-spec key), so that the .proto is the one mapping.
//
// Why not protobuf's own JsonStringToMessage: it accepts "args": "sh" as ["sh"] and
// "terminal": "true" as true, and names fields by their proto names ("User.UID") in errors.
// Here a value of the wrong type is an INVALID_ARGUMENT that names its JSON path
// ("process.user.uid: expected an unsigned 32-bit integer, got string \"x\""), integers must
// be integer literals within the field's range, null means absent (as in Go), keys are
// case-sensitive and unknown keys are ignored (runtime-spec: MUST ignore unknown properties).
// One exception to "absent is the proto3 default": LinuxDeviceCgroup's major and minor, absent
// for "any", are -1 (upstream's convention; see oci.proto).

// Decodes `json_text` into `message` (which it clears first).
Status decode_json(std::string_view json_text, google::protobuf::Message& message);

// The fields that are set (proto3: non-default scalars, non-empty lists, present messages),
// as pretty-printed JSON with runtime-spec keys. 64-bit integers stay numbers.
std::string encode_json(const google::protobuf::Message& message);

}  // namespace kata::oci
