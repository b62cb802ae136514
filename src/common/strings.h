#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace kata {

// "verb `path`": the error message shape used everywhere (see CONVENTIONS.md).
inline std::string fmt_path(std::string_view verb, std::string_view path) {
  std::string s(verb);
  s += " `";
  s += path;
  s += '`';
  return s;
}

std::vector<std::string> split(std::string_view s, char sep, bool skip_empty = true);
std::string_view trim(std::string_view s);
// Words separated by blanks (space, tab, CR, LF), where "..." groups blanks into one word
// and the quotes go (`a="b c"` is `a=b c`), as the kernel splits its command line. With
// `backslash_escapes`, `\x` inside quotes is `x` (how `iptables -S` quotes a comment).
std::vector<std::string> split_quoted(std::string_view s, bool backslash_escapes = false);
bool starts_with(std::string_view s, std::string_view prefix);

// The last `max_lines` lines of `text` (a log or console tail) as one line for an error
// message: trimmed, blank ones dropped, joined with "; ". "(no output)" when nothing is left.
std::string one_line(std::string_view text, size_t max_lines = std::numeric_limits<size_t>::max());

}  // namespace kata
