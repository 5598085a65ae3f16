// The `ember` command: dispatches to the registered subcommands (see command.h).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "ember/cli/command.h"

namespace ember::cli {
namespace {
std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

int print_usage(FILE* out) {
  std::fprintf(out, "usage: ember <command> [options]\n\ncommands:\n");
  for (const auto& command : commands()) {
    std::fprintf(out, "  %-12s %s\n", command.name, command.summary);
  }
  std::fprintf(out, "\n`ember <command> --help` describes a command's options.\n");
  return out == stderr ? 2 : 0;
}
}  // namespace

CommandRegistrar::CommandRegistrar(Command command) {
  auto& list = registry();
  list.push_back(command);
  std::sort(list.begin(), list.end(),
            [](const Command& a, const Command& b) { return std::string(a.name) < b.name; });
}

const std::vector<Command>& commands() { return registry(); }

}  // namespace ember::cli

int main(int argc, char** argv) {
  using ember::cli::commands;
  if (argc < 2) return ember::cli::print_usage(stderr);
  std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") return ember::cli::print_usage(stdout);
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& command : commands()) {
    if (name == command.name) {
      try {
        return command.run(args);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "ember %s: %s\n", command.name, e.what());
        return 1;
      }
    }
  }
  std::fprintf(stderr, "ember: unknown command '%s'\n", name.c_str());
  return ember::cli::print_usage(stderr);
}
