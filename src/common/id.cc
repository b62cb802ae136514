#include "common/id.h"

#include <string>

namespace kata {

Result<void> validate_id(std::string_view id) {
  auto bad = [&](const std::string& why) {
    return Error(Code::kInvalidArgument, "invalid id `" + std::string(id) + "`: " + why);
  };
  if (id.empty()) return bad("empty");
  if (id.size() > kMaxIdLength)
    return bad("longer than " + std::to_string(kMaxIdLength) + " characters");
  if (id[0] == '.') return bad("starts with '.'");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return bad("only letters, digits, '-', '_' and '.' are allowed");
  }
  return {};
}

}  // namespace kata
