// kata-agent: the guest's PID 1. Everything lives in agent.cc.
#include "agent/agent.h"

int main() { kata::agent::run(); }
