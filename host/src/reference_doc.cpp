#include "reference_doc.h"

#include <cctype>
#include <map>
#include <sstream>

#include "host_schema.h"

namespace ssl::host {

namespace {

// Escapes text for a Markdown table cell: '|' always (GFM splits cells on it, even inside
// code spans), '*', '<' and '\' outside code spans (emphasis, HTML), newlines as spaces.
std::string cell(const std::string& text) {
  std::string out;
  bool in_code = false;
  for (char c : text) {
    if (c == '`') in_code = !in_code;
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else if (!in_code && (c == '*' || c == '<' || c == '\\')) out += std::string("\\") + c;
    else out += c;
  }
  return out;
}

std::string code(const std::string& text) { return "`" + text + "`"; }

struct KindInfo {
  sdk::Kind kind;
  const char* title;   // "Datasets"
  const char* intro;   // one paragraph
};

const KindInfo kKinds[] = {
    {sdk::Kind::Dataset, "Datasets",
     "A dataset reads images and labels: `[data.train]` names one with `type`, `[data.test]` (optional) "
     "another, `[data.eval_train]` (optional) the labelled split the evaluators fit on instead of "
     "`[data.train]`. A method that trains on two domains takes a labelled `[data.source]` and an "
     "unlabelled `[data.target]` instead of `[data.train]`. Besides its own keys every dataset accepts the host's keys in "
     "[every dataset](#datatrain--datatest-every-dataset)."},
    {sdk::Kind::Augmentation, "Augmentations",
     "An augmentation is one op of a view group's chain (`[[views.ops]]`, applied with a per-sample seed) "
     "or of the evaluation transform (`[[eval_ops]]`). Presets live in `configs/augment/`."},
    {sdk::Kind::Backbone, "Backbones",
     "`[backbone]`: the encoder. Its output is the representation that evaluators measure and that "
     "`backbone.pt` holds after a run."},
    {sdk::Kind::Method, "Methods",
     "`[method]`: the self-supervised objective. A method owns its heads, target networks, queues and loss; "
     "the host owns the loop, the optimizer, the data, checkpoints and logging."},
    {sdk::Kind::Evaluator, "Evaluators",
     "`[[evaluators]]`: measurements on frozen features, run during training and at the end. Besides its own "
     "keys every evaluator accepts the host's keys in [every evaluator](#evaluators-every-evaluator)."},
};

std::string host_heading(const HostSection& s) {
  if (s.title == "(top level)") return "Top level";
  std::string h;
  for (size_t i = 0; i < s.title.size();) {  // "[data.train] / [data.test]" -> "`[data.train]` / `[data.test]`"
    const size_t end = s.title.find(" / ", i);
    h += (i ? " / " : "") + code(s.title.substr(i, end - i));
    i = end == std::string::npos ? s.title.size() : end + 3;
  }
  return h + (s.scope.empty() ? "" : " (" + s.scope + ")");
}

std::string section_markdown(const HostSection& s) {
  std::string out = "### " + host_heading(s) + "\n\n";
  if (!s.note.empty()) {
    std::string note = s.note;
    note[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(note[0])));
    out += note + ".\n\n";
  }
  return out + markdown_key_table(*s.schema);
}

}  // namespace

const std::vector<HostSection>& host_sections() {
  static const std::vector<HostSection> sections = {
      {"(top level)", "", "keys outside any table; `include = [...]` pulls in TOML fragments first", &pipeline_schema()},
      {"[data]", "", "batching and loading, shared by the training and test splits (and by the two domains of a "
       "two-domain pipeline: `batch_size` images of each a step)", &data_schema()},
      {"[data.train] / [data.test]", "every dataset", "keys the host adds to every dataset table (also `[data.source]`, "
       "`[data.target]` and `[data.eval_train]`)", &common_component_schema(sdk::Kind::Dataset)},
      {"[[views]]", "", "one group of views per table, each with its op chain `[[views.ops]]`; a two-domain pipeline may give its "
       "`[data.target]` groups of its own in `[[target_views]]` (same keys; default: the `[[views]]` groups)", &view_group_schema()},
      {"[optimizer]", "", "", &optimizer_schema()},
      {"[schedule]", "", "linear warm-up, then cosine or constant", &schedule_schema()},
      {"[trainer]", "", "", &trainer_schema()},
      {"[alarms]", "",
       "watched: `*/std_sqrt_d`, `*/rankme`, the loss against `*/uniform_loss_ref`; see docs/architecture.md",
       &alarms_schema()},
      {"[[evaluators]]", "every evaluator", "keys the host adds to every evaluator table", &common_component_schema(sdk::Kind::Evaluator)},
  };
  return sections;
}

std::string pipeline_table_of(sdk::Kind kind) {
  switch (kind) {
    case sdk::Kind::Dataset: return "[data.train]";
    case sdk::Kind::Augmentation: return "[[views.ops]]";
    case sdk::Kind::Backbone: return "[backbone]";
    case sdk::Kind::Method: return "[method]";
    case sdk::Kind::Evaluator: return "[[evaluators]]";
  }
  return "";
}

std::string markdown_anchor(const std::string& heading) {
  std::string out;
  for (char c : heading) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_') out += static_cast<char>(std::tolower(u));
    else if (c == ' ') out += '-';
  }
  return out;
}

std::string markdown_key_table(const sdk::Schema& schema) {
  if (schema.keys().empty()) return "No keys of its own.\n";
  std::ostringstream out;
  out << "| key | type | default | range / choices | doc |\n|---|---|---|---|---|\n";
  for (const auto& k : schema.keys()) {
    const std::string def = k.required() ? "*required*" : cell(code(sdk::format_value(*k.default_value)));
    out << "| " << cell(code(k.name)) << " | " << sdk::type_name(k.type) << " | " << def << " | "
        << cell(k.constraint_text()) << " | " << cell(k.doc) << " |\n";
  }
  return out.str();
}

std::string data_note(const ComponentEntry& entry) {
  if (entry.kind() != sdk::Kind::Method || (!entry.spec.uses_labels && !entry.spec.uses_target_domain)) return "";
  bool labels = false, two = false;
  try {
    const sdk::Config defaults = entry.spec.schema.resolve({}, entry.id());
    labels = entry.spec.uses_labels_for(defaults);
    two = entry.spec.uses_target_domain_for(defaults);
  } catch (const std::exception&) {
    return "";  // a required key: nothing to say about the defaults
  }
  std::string note;
  if (two)
    note += "Trains on two domains (it declares uses_target_domain()): the pipeline pairs a labelled "
            "`[data.source]` with an unlabelled `[data.target]`.";
  else if (labels)
    note += "Trains on the labels of the training split (it declares uses_labels()); the host refuses a "
            "training split without them.";
  return note;
}

std::string markdown_component(const ComponentEntry& entry) {
  std::ostringstream out;
  out << "### " << code(entry.id()) << "\n\n";
  out << cell(entry.spec.doc) << "\n\n";
  if (const std::string note = data_note(entry); !note.empty()) out << note << "\n\n";
  out << "Plugin " << code(entry.plugin->name) << " " << entry.plugin->version << "; in a pipeline: "
      << code(pipeline_table_of(entry.kind())) << " with " << code("type = \"" + entry.spec.name + "\"") << ".\n\n";
  out << markdown_key_table(entry.spec.schema);
  return out.str();
}

std::string markdown_host_sections() {
  std::string out;
  for (const auto& s : host_sections()) out += section_markdown(s) + "\n";
  return out;
}

std::string markdown_reference(const Registry& registry) {
  std::map<sdk::Kind, std::vector<const ComponentEntry*>> by_kind;
  for (const auto* e : registry.list()) by_kind[e->kind()].push_back(e);

  std::ostringstream out;
  out << "# Component reference\n\n"
         "<!-- Generated by `ssl-host describe --markdown`; do not edit by hand. -->\n\n"
         "Every key a pipeline can set: first the sections the host owns, then every component of the loaded "
         "plugins (for this file: the plugins in `plugins/`), by kind and name as `ssl-host list` orders them. "
         "Each table gives the key, its type, its default (*required* when it has none), the allowed range or "
         "choices, and its doc line. `ssl-host describe KIND/NAME` prints one component with a TOML template.\n\n"
         "This file is generated from the schemas in the code. After changing a schema or a doc line, rebuild "
         "and regenerate it:\n\n"
         "```sh\n./build/bin/ssl-host describe --markdown --output docs/components.md\n```\n\n"
         "An integration test fails while the committed file differs from what `ssl-host describe --markdown` "
         "prints.\n\n";

  out << "## Contents\n\n- [Pipeline sections (host)](#pipeline-sections-host):";
  bool first = true;
  for (const auto& s : host_sections()) {
    const std::string h = host_heading(s);
    out << (first ? " " : ", ") << "[" << h << "](#" << markdown_anchor(h) << ")";
    first = false;
  }
  out << "\n";
  for (const auto& k : kKinds) {
    out << "- [" << k.title << "](#" << markdown_anchor(k.title) << ")";
    const auto it = by_kind.find(k.kind);
    if (it == by_kind.end()) {
      out << "\n";
      continue;
    }
    first = true;
    for (const auto* e : it->second) {
      out << (first ? ": " : ", ") << "[" << code(e->spec.name) << "](#" << markdown_anchor(code(e->id())) << ")";
      first = false;
    }
    out << "\n";
  }

  out << "\n## Pipeline sections (host)\n\n"
         "The tables of a pipeline file that the host reads itself (`ssl-host describe pipeline`).\n\n";
  out << markdown_host_sections();

  for (const auto& k : kKinds) {
    out << "## " << k.title << "\n\n" << k.intro << "\n\n";
    const auto it = by_kind.find(k.kind);
    if (it == by_kind.end()) {
      out << "None loaded.\n\n";
      continue;
    }
    for (const auto* e : it->second) out << markdown_component(*e) << "\n";
  }
  std::string text = out.str();
  while (text.size() > 1 && text[text.size() - 1] == '\n' && text[text.size() - 2] == '\n') text.pop_back();
  return text;
}

}  // namespace ssl::host
