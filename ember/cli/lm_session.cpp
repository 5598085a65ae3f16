#include "ember/cli/lm_session.h"

#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "ember/core/device.h"
#include "ember/core/memory.h"

namespace ember::cli {

const char* kLmFlagsUsage =
    "  --model DIR             Hugging Face model folder (default: the built-in model)\n"
    "  --system-prompt TEXT    system message for the chat template\n"
    "  --ignore-chat-template  feed the prompt as raw text\n"
    "  --max-tokens N          tokens to generate (default 256)\n"
    "  --temp T                sampling temperature (0: greedy; default: the model's\n"
    "                          generation_config.json, else 0)\n"
    "  --top-p P, --top-k K, --min-p P\n"
    "                          nucleus, top-k and min-p filtering\n"
    "  --repetition-penalty R, --repetition-context-size N,\n"
    "  --presence-penalty P, --frequency-penalty F\n"
    "  --logit-bias ID=BIAS    add BIAS to token ID's logit (repeatable)\n"
    "  --seed N                random seed for sampling\n"
    "  --stop TEXT             stop before TEXT (repeatable)\n"
    "  --prefill-step-size N   prompt tokens per prefill chunk (default 512)\n"
    "  --dtype float32|bfloat16|float16\n"
    "                          compute dtype (default: the checkpoint's)\n"
    "  --device cpu|gpu        where to run (default: the default device)\n"
    "  --save-prompt-cache F, --load-prompt-cache F\n"
    "                          keep the caches after the prompt in a safetensors file\n"
    "  --quiet                 no progress or statistics on stderr\n";

namespace {

template <class T>
T parse_number(const std::string& flag, const std::string& text, const char* command) {
  try {
    size_t used = 0;
    T value;
    if constexpr (std::is_floating_point_v<T>) value = static_cast<T>(std::stod(text, &used));
    else if constexpr (std::is_unsigned_v<T>) value = static_cast<T>(std::stoull(text, &used));
    else value = static_cast<T>(std::stoll(text, &used));
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw std::runtime_error(std::string("[") + command + "] " + flag + ": '" + text +
                           "' is not a valid number");
}

}  // namespace

bool parse_lm_flag(const std::vector<std::string>& args, size_t& i, LmArgs& out,
                   const char* command) {
  const std::string& flag = args[i];
  auto value = [&]() -> std::string {
    if (i + 1 >= args.size()) throw std::runtime_error(std::string("[") + command + "] " + flag + " needs a value");
    return args[++i];
  };
  auto& s = out.generation.sampling;
  if (flag == "--model") out.model = value();
  else if (flag == "--prompt" || flag == "-p") out.prompt = value();
  else if (flag == "--system-prompt") out.system_prompt = value();
  else if (flag == "--ignore-chat-template") out.ignore_chat_template = true;
  else if (flag == "--max-tokens" || flag == "-m") out.generation.max_tokens = parse_number<int>(flag, value(), command);
  else if (flag == "--temp") out.temp = parse_number<float>(flag, value(), command);
  else if (flag == "--top-p") out.top_p = parse_number<float>(flag, value(), command);
  else if (flag == "--top-k") out.top_k = parse_number<int>(flag, value(), command);
  else if (flag == "--min-p") out.min_p = parse_number<float>(flag, value(), command);
  else if (flag == "--repetition-penalty") s.repetition_penalty = parse_number<float>(flag, value(), command);
  else if (flag == "--repetition-context-size") s.repetition_context_size = parse_number<int>(flag, value(), command);
  else if (flag == "--presence-penalty") s.presence_penalty = parse_number<float>(flag, value(), command);
  else if (flag == "--frequency-penalty") s.frequency_penalty = parse_number<float>(flag, value(), command);
  else if (flag == "--logit-bias") {
    std::string v = value();
    size_t eq = v.find('=');
    if (eq == std::string::npos) throw std::runtime_error(std::string("[") + command + "] --logit-bias expects ID=BIAS, got '" + v + "'");
    s.logit_bias[parse_number<int>(flag, v.substr(0, eq), command)] = parse_number<float>(flag, v.substr(eq + 1), command);
  } else if (flag == "--seed") out.seed = parse_number<uint64_t>(flag, value(), command);
  else if (flag == "--stop") out.generation.stop_strings.push_back(value());
  else if (flag == "--prefill-step-size") out.generation.prefill_step_size = parse_number<int>(flag, value(), command);
  else if (flag == "--dtype") {
    std::string v = value();
    if (v == "float32") out.dtype = float32;
    else if (v == "bfloat16") out.dtype = bfloat16;
    else if (v == "float16") out.dtype = float16;
    else throw std::runtime_error(std::string("[") + command + "] --dtype must be float32, bfloat16 or float16, got '" + v + "'");
  } else if (flag == "--device") {
    out.device = value();
    if (out.device != "cpu" && out.device != "gpu") throw std::runtime_error(std::string("[") + command + "] --device must be cpu or gpu, got '" + out.device + "'");
  } else if (flag == "--save-prompt-cache") out.save_prompt_cache = value();
  else if (flag == "--load-prompt-cache") out.load_prompt_cache = value();
  else if (flag == "--json") out.json = true;
  else if (flag == "--quiet" || flag == "-q") out.verbose = false;
  else return false;
  return true;
}

std::filesystem::path default_model_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "ember" / "models" / "default";
    if (fs::exists(installed / "config.json")) return installed;
  }
  return fs::path(EMBER_SOURCE_DIR) / "models" / "default";
}

LoadedModel load_for_generation(LmArgs& args) {
  if (args.device == "gpu") set_default_device(Device(Device::gpu, 0));
  else if (args.device == "cpu") set_default_device(Device(Device::cpu));
  if (args.model.empty()) args.model = default_model_dir();
  if (args.verbose) std::fprintf(stderr, "Loading %s ...", args.model.string().c_str());
  std::fflush(stderr);
  lm::ModelFolderInfo info = lm::read_model_folder(args.model);
  auto tokenizer = lm::Tokenizer::from_file(args.model / "tokenizer.json");
  auto model = lm::load_model(args.model, {.dtype = args.dtype});
  if (args.verbose) {
    std::fprintf(stderr, " %s, %.1f MB of weights in %s\n", model->model_type().c_str(),
                 model->weight_bytes() / 1e6, std::string(dtype_name(model->dtype())).c_str());
  }
  LoadedModel loaded{args.model, std::move(info), std::move(tokenizer), std::move(model), std::nullopt};
  if (!loaded.info.chat_templates.empty()) {
    loaded.chat_template = lm::ChatTemplate::parse(loaded.info.select_chat_template(false));
  }
  auto& gen = args.generation;
  for (int64_t id : loaded.info.eos_token_ids([&](const std::string& t) -> std::optional<int64_t> {
         auto id = loaded.tokenizer.token_to_id(t);
         return id ? std::optional<int64_t>(*id) : std::nullopt;
       })) {
    gen.eos_ids.push_back(id);
  }
  // Sampling: flags first, then generation_config.json when it asks for sampling, else greedy.
  const auto& defaults = loaded.info.generation;
  const bool sample_by_default = defaults.do_sample.value_or(false);
  auto& s = gen.sampling;
  s.temperature = args.temp.value_or(sample_by_default ? float(defaults.temperature.value_or(1.0)) : 0.0f);
  s.top_p = args.top_p.value_or(sample_by_default ? float(defaults.top_p.value_or(1.0)) : 1.0f);
  s.top_k = args.top_k.value_or(sample_by_default ? int(defaults.top_k.value_or(0)) : 0);
  s.min_p = args.min_p.value_or(sample_by_default ? float(defaults.min_p.value_or(0.0)) : 0.0f);
  s.seed = args.seed;
  if (args.verbose) {
    gen.prefill_progress = [](int done, int total) {
      if (total > 2048) std::fprintf(stderr, "\rPrefill %d/%d tokens", done, total);
      if (total > 2048 && done == total) std::fputc('\n', stderr);
    };
  }
  return loaded;
}

std::vector<int32_t> encode_messages(const LoadedModel& loaded, const nlohmann::ordered_json& messages,
                                     bool use_template) {
  if (use_template && loaded.chat_template) {
    lm::ChatTemplateInputs inputs;
    inputs.messages = messages;
    inputs.add_generation_prompt = true;
    inputs.extra = loaded.info.template_variables();
    std::string prompt = lm::apply_chat_template(*loaded.chat_template, inputs);
    return loaded.tokenizer.encode(prompt, {.add_special_tokens = false, .parse_special = true});
  }
  std::string text;
  for (const auto& m : messages) text += m.value("content", "");
  return loaded.tokenizer.encode(text);
}

void print_stats(const lm::GenerationStats& st) {
  std::fprintf(stderr, "==========\n");
  std::fprintf(stderr, "Prompt: %d tokens, %.3f tokens-per-sec\n", st.prompt_tokens, st.prompt_tps);
  std::fprintf(stderr, "Generation: %d tokens, %.3f tokens-per-sec\n", st.generation_tokens, st.generation_tps);
  std::fprintf(stderr, "Peak memory: %.3f GB\n", st.peak_memory_gb);
}

}  // namespace ember::cli
