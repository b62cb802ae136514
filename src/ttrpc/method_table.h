#pragma once

#include <fmt/format.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "ttrpc/server.h"

namespace kata::ttrpc {

// What a call to a method nobody registered gets.
inline Error not_implemented(std::string_view service, std::string_view method) {
  return Error(Code::kUnimplemented, fmt::format("{}/{} is not implemented", service, method));
}

// Handlers keyed by service and method. Lookups hand out shared pointers, so a
// handler replaced while a call runs stays alive until that call returns.
class MethodTable {
 public:
  void add(std::string_view service, std::string_view method, Handler handler) {
    auto shared = std::make_shared<const Handler>(std::move(handler));
    std::lock_guard lock(mu_);
    handlers_[Key(service, method)] = std::move(shared);
  }

  std::shared_ptr<const Handler> find(std::string_view service, std::string_view method) const {
    std::lock_guard lock(mu_);
    auto it = handlers_.find(Key(service, method));
    return it == handlers_.end() ? nullptr : it->second;
  }

 private:
  // A pair rather than "service/method", so that names containing '/' cannot collide.
  using Key = std::pair<std::string, std::string>;

  mutable std::mutex mu_;
  std::map<Key, std::shared_ptr<const Handler>> handlers_;
};

}  // namespace kata::ttrpc
