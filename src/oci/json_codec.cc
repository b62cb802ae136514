#include "oci/json_codec.h"

#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace kata::oci {

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using Json = nlohmann::json;

// Fields whose JSON absence (a Go nil pointer) the agent reads as -1: a device cgroup rule
// without major or minor matches any, and 0 is a real number (/dev/tty is 5:0). Upstream's
// agent maps -1 back to None (rustjail resources_grpc_to_oci).
bool absent_is_minus_one(const FieldDescriptor* f) {
  return f->containing_type()->full_name() == "grpc.LinuxDeviceCgroup" &&
         (f->name() == "Major" || f->name() == "Minor");
}

// A spec is under 10 levels deep (linux.seccomp.syscalls[].args[] objects are 7); Go's
// encoding/json stops at 10000. The bound is checked on the text, before nlohmann builds the
// document: its parser and destructor are iterative, but dump(), comparisons and copies recurse
// once per level (an error message that dumped the value of a known key nested 100,000 levels
// deep overflowed the stack of `start`).
constexpr size_t kMaxJsonDepth = 1000;

// Counts brackets outside strings. Only well-formed JSON needs the right depth: on anything
// else nlohmann reports the syntax error, unless the text was first found too deep.
Status check_depth(std::string_view text) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return Error(
            Code::kInvalidArgument,
            fmt::format("invalid JSON: nested deeper than {} levels at byte {}", kMaxJsonDepth, i));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return {};
}

// The one place where nlohmann may throw: everything after works on a parsed document with
// type checks before each get<>(), and dumps with a non-throwing UTF-8 handler.
Result<Json> parse_document(std::string_view text) {
  KATA_TRY(check_depth(text));
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ..."
    std::string_view what = e.what();
    if (size_t end = what.find("] "); what.starts_with("[json.exception") && end != what.npos) {
      what.remove_prefix(end + 2);
    }
    if (what.starts_with("parse error")) what.remove_prefix(std::string_view("parse error").size());
    return Error(Code::kInvalidArgument, fmt::format("invalid JSON{}", what));
  }
}

// Containers are named, never dumped: dumping one would print (and walk) all of it.
std::string describe(const Json& v) {
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  if (v.is_string()) return "string " + text;
  if (v.is_boolean()) return "boolean " + text;
  return "number " + text;
}

Error wrong_type(const std::string& path, std::string_view expected, const Json& v) {
  return Error(Code::kInvalidArgument,
               fmt::format("{}: expected {}, got {}", path, expected, describe(v)));
}

// An integer literal that fits T; 1.0, 1e3 and "1" are not integers here (nor in Go).
template <typename T>
Result<T> integer(const Json& v, const std::string& path, std::string_view what) {
  if (!v.is_number_integer()) return wrong_type(path, what, v);
  bool fits = v.is_number_unsigned() ? std::in_range<T>(v.get<uint64_t>())
                                     : std::in_range<T>(v.get<int64_t>());
  if (!fits) {
    return Error(Code::kInvalidArgument,
                 fmt::format("{}: {} is out of range for {}", path, v.dump(), what));
  }
  return v.is_number_unsigned() ? static_cast<T>(v.get<uint64_t>())
                                : static_cast<T>(v.get<int64_t>());
}

Status decode_message(const Json& obj, Message& msg, const std::string& path);

// Sets `field` of `msg` (or appends to it, when repeated) from one JSON value.
Status decode_value(const Json& v, Message& msg, const FieldDescriptor* f,
                    const std::string& path) {
  const Reflection* r = msg.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      KATA_ASSIGN_OR_RETURN(int32_t x, integer<int32_t>(v, path, "a 32-bit integer"));
      rep ? r->AddInt32(&msg, f, x) : r->SetInt32(&msg, f, x);
      return {};
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      KATA_ASSIGN_OR_RETURN(int64_t x, integer<int64_t>(v, path, "a 64-bit integer"));
      rep ? r->AddInt64(&msg, f, x) : r->SetInt64(&msg, f, x);
      return {};
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      KATA_ASSIGN_OR_RETURN(uint32_t x, integer<uint32_t>(v, path, "an unsigned 32-bit integer"));
      rep ? r->AddUInt32(&msg, f, x) : r->SetUInt32(&msg, f, x);
      return {};
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      KATA_ASSIGN_OR_RETURN(uint64_t x, integer<uint64_t>(v, path, "an unsigned 64-bit integer"));
      rep ? r->AddUInt64(&msg, f, x) : r->SetUInt64(&msg, f, x);
      return {};
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      if (!v.is_boolean()) return wrong_type(path, "a boolean", v);
      rep ? r->AddBool(&msg, f, v.get<bool>()) : r->SetBool(&msg, f, v.get<bool>());
      return {};
    case FieldDescriptor::CPPTYPE_STRING:
      if (!v.is_string()) return wrong_type(path, "a string", v);
      rep ? r->AddString(&msg, f, v.get<std::string>())
          : r->SetString(&msg, f, v.get<std::string>());
      return {};
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return decode_message(v, rep ? *r->AddMessage(&msg, f) : *r->MutableMessage(&msg, f), path);
    default:  // float, double, enum: oci.proto has none
      return Error(Code::kInternal, fmt::format("{}: field type not supported", path));
  }
}

// A JSON object into a map<string, V> field.
Status decode_map(const Json& v, Message& msg, const FieldDescriptor* f, const std::string& path) {
  if (!v.is_object()) return wrong_type(path, "an object", v);
  const FieldDescriptor* key = f->message_type()->map_key();
  const FieldDescriptor* value = f->message_type()->map_value();
  if (key->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return Error(Code::kInternal, fmt::format("{}: only string map keys are supported", path));
  }
  for (const auto& [k, item] : v.items()) {
    if (item.is_null()) continue;
    Message* entry = msg.GetReflection()->AddMessage(&msg, f);
    entry->GetReflection()->SetString(entry, key, k);
    KATA_TRY(decode_value(item, *entry, value, fmt::format("{}[\"{}\"]", path, k)));
  }
  return {};
}

Status decode_field(const Json& v, Message& msg, const FieldDescriptor* f,
                    const std::string& path) {
  if (v.is_null()) return {};  // Go's encoding/json: null leaves the field unset
  if (f->is_map()) return decode_map(v, msg, f, path);
  if (!f->is_repeated()) return decode_value(v, msg, f, path);
  if (!v.is_array()) return wrong_type(path, "an array", v);
  for (size_t i = 0; i < v.size(); ++i) {
    KATA_TRY(decode_value(v[i], msg, f, fmt::format("{}[{}]", path, i)));
  }
  return {};
}

// Recursion follows the message types of oci.proto (a handful of levels), never the input:
// unknown keys are skipped without being walked.
Status decode_message(const Json& obj, Message& msg, const std::string& path) {
  if (!obj.is_object()) {
    return wrong_type(path.empty() ? "the document" : path, "an object", obj);
  }
  const auto* desc = msg.GetDescriptor();
  for (int i = 0; i < desc->field_count(); ++i) {
    const FieldDescriptor* f = desc->field(i);
    if (absent_is_minus_one(f)) msg.GetReflection()->SetInt64(&msg, f, -1);
    auto it = obj.find(f->json_name());
    if (it == obj.end()) continue;
    std::string field_path = path.empty() ? f->json_name() : path + "." + f->json_name();
    KATA_TRY(decode_field(*it, msg, f, field_path));
  }
  return {};
}

Json encode_message(const Message& msg);

Json encode_value(const Message& msg, const FieldDescriptor* f, int index) {
  const Reflection* r = msg.GetReflection();
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(msg, f, index) : r->GetInt32(msg, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return rep ? r->GetRepeatedInt64(msg, f, index) : r->GetInt64(msg, f);
    case FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(msg, f, index) : r->GetUInt32(msg, f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return rep ? r->GetRepeatedUInt64(msg, f, index) : r->GetUInt64(msg, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(msg, f, index) : r->GetBool(msg, f);
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(msg, f, index) : r->GetString(msg, f);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return encode_message(rep ? r->GetRepeatedMessage(msg, f, index) : r->GetMessage(msg, f));
    default:
      return nullptr;
  }
}

Json encode_message(const Message& msg) {
  Json obj = Json::object();
  std::vector<const FieldDescriptor*> fields;
  msg.GetReflection()->ListFields(msg, &fields);  // only the fields that are set
  const Reflection* r = msg.GetReflection();
  const auto* desc = msg.GetDescriptor();
  for (int i = 0; i < desc->field_count(); ++i) {  // ListFields omits them when 0
    const FieldDescriptor* f = desc->field(i);
    if (absent_is_minus_one(f) && r->GetInt64(msg, f) != -1) {
      obj[f->json_name()] = r->GetInt64(msg, f);
    }
  }
  for (const FieldDescriptor* f : fields) {
    if (absent_is_minus_one(f)) continue;
    Json& out = obj[f->json_name()];
    if (f->is_map()) {
      out = Json::object();
      const FieldDescriptor* value = f->message_type()->map_value();
      for (int i = 0; i < r->FieldSize(msg, f); ++i) {
        const Message& entry = r->GetRepeatedMessage(msg, f, i);
        const FieldDescriptor* key = f->message_type()->map_key();
        out[entry.GetReflection()->GetString(entry, key)] = encode_value(entry, value, -1);
      }
    } else if (f->is_repeated()) {
      out = Json::array();
      for (int i = 0; i < r->FieldSize(msg, f); ++i) out.push_back(encode_value(msg, f, i));
    } else {
      out = encode_value(msg, f, -1);
    }
  }
  return obj;
}

}  // namespace

Status decode_json(std::string_view json_text, google::protobuf::Message& message) {
  message.Clear();
  KATA_ASSIGN_OR_RETURN(Json doc, parse_document(json_text));
  return decode_message(doc, message, "");
}

std::string encode_json(const google::protobuf::Message& message) {
  return encode_message(message).dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace kata::oci
