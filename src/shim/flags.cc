#include "shim/flags.h"

#include <optional>
#include <string_view>

#include "common/id.h"

namespace kata::shim {
namespace {

std::string* string_flag(ShimFlags& flags, std::string_view name) {
  if (name == "namespace") return &flags.namespace_;
  if (name == "address") return &flags.address;
  if (name == "publish-binary") return &flags.publish_binary;
  if (name == "id") return &flags.id;
  if (name == "bundle") return &flags.bundle;
  if (name == "socket") return &flags.socket;
  return nullptr;
}

bool* bool_flag(ShimFlags& flags, std::string_view name) {
  if (name == "debug") return &flags.debug;
  if (name == "v" || name == "version") return &flags.version;
  return nullptr;
}

// Go's strconv.ParseBool.
std::optional<bool> parse_bool(std::string_view text) {
  if (text == "1" || text == "t" || text == "T" || text == "true" || text == "TRUE" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "false" || text == "FALSE" ||
      text == "False") {
    return false;
  }
  return std::nullopt;
}

// Handles the flag at args[i]; returns how many words it used.
Result<size_t> parse_one(ShimFlags& flags, const std::vector<std::string>& args, size_t i) {
  std::string_view word = args[i];
  word.remove_prefix(word.starts_with("--") ? 2 : 1);
  std::optional<std::string_view> inline_value;
  if (size_t eq = word.find('='); eq != std::string_view::npos) {
    inline_value = word.substr(eq + 1);
    word = word.substr(0, eq);
  }
  if (bool* b = bool_flag(flags, word)) {
    if (!inline_value) {
      *b = true;
      return size_t{1};
    }
    std::optional<bool> parsed = parse_bool(*inline_value);
    if (!parsed) {
      return Error(Code::kInvalidArgument, "invalid boolean value `" + std::string(*inline_value) +
                                               "` for flag -" + std::string(word));
    }
    *b = *parsed;
    return size_t{1};
  }
  std::string* s = string_flag(flags, word);
  if (s == nullptr) {
    return Error(Code::kInvalidArgument, "flag provided but not defined: -" + std::string(word));
  }
  if (inline_value) {
    *s = std::string(*inline_value);
    return size_t{1};
  }
  if (i + 1 >= args.size()) {
    return Error(Code::kInvalidArgument, "flag needs an argument: -" + std::string(word));
  }
  // Go's flag package would take `-id -debug` as the id "-debug" (and boot a VM of that name).
  // containerd never sends a value that starts with '-': such a word is a flag whose value is
  // missing. `-name=-value` still says explicitly that a value starts with '-'.
  if (args[i + 1].size() > 1 && args[i + 1][0] == '-') {
    return Error(Code::kInvalidArgument, "flag needs an argument: -" + std::string(word) +
                                             " (got the flag `" + args[i + 1] + "`)");
  }
  *s = args[i + 1];
  return size_t{2};
}

}  // namespace

Status validate_shim_id(std::string_view id) {
  // The id names the VM, directories under /run and the daemon's own `-id` argument: one that
  // starts with '-' would read as a flag there (containerd's ids start with a letter or digit).
  if (id.starts_with('-')) {
    return Error(Code::kInvalidArgument,
                 "invalid id `" + std::string(id) + "`: starts with '-' (a flag, not an id)");
  }
  return validate_id(id);
}

Result<ShimFlags> parse_flags(const std::vector<std::string>& args) {
  ShimFlags flags;
  size_t i = 0;
  while (i < args.size()) {
    const std::string& word = args[i];
    if (word == "--") {
      ++i;
      break;
    }
    if (word.size() < 2 || word[0] != '-') break;  // "-" alone is a word too, as in Go
    if (word.starts_with("---") || word[word.starts_with("--") ? 2 : 1] == '=') {
      return Error(Code::kInvalidArgument, "bad flag syntax: " + word);
    }
    KATA_ASSIGN_OR_RETURN(size_t used, parse_one(flags, args, i));
    i += used;
  }
  if (i < args.size()) {
    flags.verb = args[i];
    flags.rest.assign(args.begin() + static_cast<long>(i) + 1, args.end());
  }
  return flags;
}

}  // namespace kata::shim
