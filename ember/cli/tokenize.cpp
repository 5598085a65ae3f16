// `ember tokenize` and `ember detokenize`: the text side of a model folder
// from the shell. tokenize reads text on stdin and prints its ids as a JSON
// array; detokenize reads a JSON array of ids and prints their text, so
// `ember tokenize --model M | ember detokenize --model M` gives back the input.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ember/cli/command.h"
#include "ember/lm/tokenizer/tokenizer.h"

namespace ember::cli {
namespace {

constexpr const char* kTokenizeUsage =
    "usage: ember tokenize --model DIR [--special] [--no-add-special-tokens]\n"
    "\n"
    "Reads text on stdin and prints its token ids as a JSON array.\n"
    "  --model DIR               model folder with tokenizer.json\n"
    "  --special                 recognise special tokens written in the text (e.g.\n"
    "                            <|im_end|>); without it they are encoded as plain text\n"
    "  --no-add-special-tokens   do not add the tokens of the post-processor (e.g. BOS)\n";

constexpr const char* kDetokenizeUsage =
    "usage: ember detokenize --model DIR [--skip-special]\n"
    "\n"
    "Reads a JSON array of token ids on stdin and prints their text.\n"
    "  --model DIR      model folder with tokenizer.json\n"
    "  --skip-special   leave special tokens out of the text\n";

struct Options {
  std::filesystem::path model;
  bool help = false;
  bool special = false;
  bool no_add_special_tokens = false;
  bool skip_special = false;
};

// Parses the flags that `allowed` lists; throws on anything else.
Options parse_options(const std::vector<std::string>& args, const std::vector<std::string>& allowed) {
  Options options;
  auto is_allowed = [&](const std::string& flag) {
    for (const auto& name : allowed) {
      if (name == flag) return true;
    }
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--model" || arg.starts_with("--model=")) {
      if (arg == "--model") {
        if (i + 1 >= args.size()) throw std::invalid_argument("--model needs a folder");
        options.model = args[++i];
      } else {
        options.model = arg.substr(8);
      }
    } else if (is_allowed(arg)) {
      if (arg == "--special") options.special = true;
      if (arg == "--no-add-special-tokens") options.no_add_special_tokens = true;
      if (arg == "--skip-special") options.skip_special = true;
    } else {
      throw std::invalid_argument("unknown option '" + arg + "' (see --help)");
    }
  }
  if (!options.help && options.model.empty()) {
    throw std::invalid_argument("--model DIR is required (see --help)");
  }
  return options;
}

std::string read_stdin() {
  std::ios::sync_with_stdio(false);
  std::cin >> std::noskipws;
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

lm::Tokenizer load_tokenizer(const std::filesystem::path& model) {
  if (!std::filesystem::is_directory(model)) {
    throw std::invalid_argument("model folder '" + model.string() + "' does not exist");
  }
  return lm::Tokenizer::from_file(model / "tokenizer.json");
}

int run_tokenize(const std::vector<std::string>& args) {
  Options options = parse_options(args, {"--special", "--no-add-special-tokens"});
  if (options.help) {
    std::fputs(kTokenizeUsage, stdout);
    return 0;
  }
  lm::Tokenizer tokenizer = load_tokenizer(options.model);
  std::vector<int32_t> ids = tokenizer.encode(
      read_stdin(), {.add_special_tokens = !options.no_add_special_tokens,
                     .parse_special = options.special});
  std::string out = nlohmann::json(ids).dump();
  out.push_back('\n');
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int run_detokenize(const std::vector<std::string>& args) {
  Options options = parse_options(args, {"--skip-special"});
  if (options.help) {
    std::fputs(kDetokenizeUsage, stdout);
    return 0;
  }
  lm::Tokenizer tokenizer = load_tokenizer(options.model);
  nlohmann::json input;
  try {
    input = nlohmann::json::parse(read_stdin());
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(std::string("stdin is not JSON: ") + e.what());
  }
  if (!input.is_array()) throw std::invalid_argument("expected a JSON array of token ids");
  std::vector<int32_t> ids;
  ids.reserve(input.size());
  for (const auto& value : input) {
    if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
        value.get<int64_t>() > INT32_MAX) {
      throw std::invalid_argument("expected a JSON array of token ids, found " + value.dump());
    }
    ids.push_back(value.get<int32_t>());
  }
  std::string text = tokenizer.decode(ids, {.skip_special_tokens = options.skip_special});
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

const CommandRegistrar kTokenize{
    {"tokenize", "print the token ids of the text on stdin (JSON array)", run_tokenize}};
const CommandRegistrar kDetokenize{
    {"detokenize", "print the text of a JSON array of token ids on stdin", run_detokenize}};

}  // namespace
}  // namespace ember::cli
