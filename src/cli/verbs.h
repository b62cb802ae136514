#pragma once

// The OCI runtime verbs (runc 1.1's command line), each added to the CLI11
// app with its options and an action that runs once the whole line parsed
// (after logging is set up from the global options).
#include <CLI/CLI.hpp>
#include <functional>
#include <map>

#include "cli/cli.h"

namespace kata::cli {

using Action = std::function<int()>;

struct Verbs {
  GlobalOptions globals;
  std::map<const CLI::App*, Action> actions;

  CLI::App* add(CLI::App& app, const std::string& name, const std::string& description,
                Action action) {
    CLI::App* sub = app.add_subcommand(name, description);
    actions[sub] = std::move(action);
    return sub;
  }
};

void add_lifecycle_verbs(CLI::App& app, Verbs& verbs);  // create run start delete kill
void add_inspect_verbs(CLI::App& app, Verbs& verbs);    // state list ps
void add_events_verb(CLI::App& app, Verbs& verbs);      // events
void add_exec_verb(CLI::App& app, Verbs& verbs);        // exec
void add_control_verbs(CLI::App& app, Verbs& verbs);    // pause resume update
void add_info_verbs(CLI::App& app, Verbs& verbs);       // spec features
void add_hidden_verbs(CLI::App& app, Verbs& verbs);     // sandbox-service relay

}  // namespace kata::cli
