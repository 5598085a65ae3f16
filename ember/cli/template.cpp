// `ember template`: renders a model's chat template for a conversation and prints the
// prompt exactly (no trailing newline), as transformers' apply_chat_template(tokenize=False).
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ember/cli/command.h"
#include "ember/lm/chat_template/chat_template.h"
#include "ember/lm/chat_template/model_folder.h"

namespace ember::cli {
namespace {

constexpr const char* kUsage =
    "usage: ember template --model DIR --messages FILE.json [--tools FILE.json]\n"
    "                      [--add-generation-prompt] [--no-thinking]\n"
    "\n"
    "Renders DIR's chat template (chat_template.jinja or tokenizer_config.json) for the\n"
    "messages in FILE.json (a JSON array of {\"role\", \"content\", ...} objects) and prints\n"
    "the prompt exactly. --tools gives a JSON array of tool schemas; --no-thinking passes\n"
    "enable_thinking=false to the template.\n";

nlohmann::ordered_json read_json_argument(const std::string& flag, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("[template] " + flag + " " + file + ": cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return nlohmann::ordered_json::parse(buffer.str());
  } catch (const nlohmann::ordered_json::parse_error& e) {
    std::string message = e.what();
    size_t colon = message.find(": ");
    if (colon != std::string::npos) message = message.substr(colon + 2);
    throw std::runtime_error("[template] " + flag + " " + file + ": parse error at byte " + std::to_string(e.byte) +
                             ": " + message);
  }
}

int run_template(const std::vector<std::string>& args) {
  std::string model;
  std::string messages_file;
  std::string tools_file;
  bool add_generation_prompt = false;
  bool no_thinking = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::runtime_error("[template] " + arg + " needs a value");
      return args[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--model") {
      model = value();
    } else if (arg == "--messages") {
      messages_file = value();
    } else if (arg == "--tools") {
      tools_file = value();
    } else if (arg == "--add-generation-prompt") {
      add_generation_prompt = true;
    } else if (arg == "--no-thinking") {
      no_thinking = true;
    } else {
      std::fprintf(stderr, "ember template: unknown option '%s'\n\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (model.empty() || messages_file.empty()) {
    std::fprintf(stderr, "ember template: --model and --messages are required\n\n%s", kUsage);
    return 2;
  }

  lm::ChatTemplateInputs inputs;
  inputs.messages = read_json_argument("--messages", messages_file);
  if (!inputs.messages.is_array()) throw std::runtime_error("[template] --messages " + messages_file + ": expected a JSON array of messages");
  if (!tools_file.empty()) {
    inputs.tools = read_json_argument("--tools", tools_file);
    if (!inputs.tools.is_array()) throw std::runtime_error("[template] --tools " + tools_file + ": expected a JSON array of tools");
  }
  inputs.add_generation_prompt = add_generation_prompt;

  lm::ModelFolderInfo info = lm::read_model_folder(model);
  inputs.extra = info.template_variables();
  if (no_thinking) inputs.extra["enable_thinking"] = false;
  auto chat_template = lm::ChatTemplate::parse(info.select_chat_template(!inputs.tools.is_null()));
  std::string prompt = lm::apply_chat_template(chat_template, inputs);
  std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  std::fflush(stdout);
  return 0;
}

const CommandRegistrar kTemplate{{"template", "render a model's chat template for a conversation", run_template}};

}  // namespace
}  // namespace ember::cli
