#pragma once

#include <string>
#include <string_view>

namespace kata::shim {

// Lower-case hex SHA-256 of `data` (FIPS 180-4). Only for naming the shim
// socket as containerd does; not for anything that needs to resist attack.
std::string sha256_hex(std::string_view data);

}  // namespace kata::shim
