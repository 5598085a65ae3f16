// Subcommands of the `ember` program register themselves here, one file each:
//
//   int run_doctor(const std::vector<std::string>& args);
//   static const ember::cli::CommandRegistrar kDoctor{
//       {"doctor", "print devices, build options and a tiny computation", run_doctor}};
//
// main() dispatches on argv[1]; `ember help` lists what is registered.
#pragma once

#include <string>
#include <vector>

namespace ember::cli {

/// One subcommand: its name, a one-line summary and the function that runs it.
/// `run` receives the arguments after the subcommand name and returns the exit code.
struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

/// Adds a command to the registry at static-initialisation time.
struct CommandRegistrar {
  explicit CommandRegistrar(Command command);
};

/// Every registered command, sorted by name.
const std::vector<Command>& commands();

}  // namespace ember::cli
