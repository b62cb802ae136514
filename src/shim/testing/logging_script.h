#pragma once

#include <fmt/format.h>
#include <sys/stat.h>

#include <string>

#include "common/fs.h"
#include "common/result.h"

namespace kata::shim::testing {

// Writes an executable logging program for binary:// stdio at `path`. As
// containerd's contract has it, it reads stdout on fd 3 and stderr on fd 4 and
// closes fd 5 when ready. It records `$1=$2 CONTAINER_ID CONTAINER_NAMESPACE HOME`
// (HOME shows "no-home" when its environment is clean) in <record>.env and the
// streams in <record>.out and <record>.err. It ignores SIGTERM, as a logger that
// flushes first would: it ends at EOF on both streams.
inline Result<void> write_logging_script(const std::string& path, const std::string& record) {
  KATA_TRY(fs::write_file_atomic(path, fmt::format(R"(#!/bin/sh
trap '' TERM
echo "$1=$2 $CONTAINER_ID $CONTAINER_NAMESPACE ${{HOME:-no-home}}" > {0}.env
exec 5>&-
/bin/cat <&4 > {0}.err &
/bin/cat <&3 > {0}.out
wait
)",
                                                   record)));
  if (::chmod(path.c_str(), 0755) != 0) return Error::from_errno(errno, "chmod " + path);
  return {};
}

}  // namespace kata::shim::testing
