#pragma once

#include <chrono>

#include "agent_client/address.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace kata::agent_client {

// Connects to the agent, retrying while the other end is not there yet
// (QEMU not listening, guest vsock port not bound) until `deadline`.
// Retries in a tight loop: every millisecond spent here is boot latency.
Result<UniqueFd> dial(const AgentAddress& address, std::chrono::steady_clock::time_point deadline);

// Whether a dial() error means "not there yet" (worth dialing again later)
// rather than a wrong address or a missing permission.
bool dial_worth_retrying(const Error& error);

}  // namespace kata::agent_client
