#include "shim/bundle.h"

#include "oci/oci.h"

namespace kata::shim {

SpecParsers oci_spec_parsers() {
  return SpecParsers{[](std::string_view json) { return oci::parse_process(json); },
                     [](std::string_view json) { return oci::parse_resources(json); }};
}

}  // namespace kata::shim
