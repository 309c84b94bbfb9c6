#include "study.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "pipeline.h"

namespace ssl::host {

namespace fs = std::filesystem;

namespace {

const sdk::Schema& study_schema() {
  static const sdk::Schema s = [] {
    sdk::Schema s;
    s.add_string("name", "", "the study's name: its folder is runs/<name> (default: the file's stem)");
    s.add_string("description", "", "one line shown at the top of the study page");
    s.add_string_list("columns", {},
                      "final metrics shown next to kNN and linear top-1 in the page's 'Selected metrics' table and in "
                      "results.csv (e.g. \"linear/tail/top1\")");
    s.add_string("against", "",
                 "a numeric key of the arms' resolved pipelines (e.g. \"data.batch_size\"): the page plots kNN and "
                 "linear top-1 and the columns against it, one line per method");
    return s;
  }();
  return s;
}

const sdk::Schema& arm_schema() {
  static const sdk::Schema s = [] {
    sdk::Schema s;
    s.add_required("name", sdk::ValueType::String, "the arm's name: legend entry and run folder name");
    s.add_required("pipeline", sdk::ValueType::String, "the arm's pipeline file, relative to the study file");
    s.add_string_list("set", {}, "overrides for this arm, KEY=VALUE as with --set");
    s.add_string("output", "", "run folder relative to the runs folder (default: <study folder>/<arm name>)");
    s.add_string("compare_to", "",
                 "another arm of the study: the page and results.csv show this arm's metrics as changes from that "
                 "arm's");
    return s;
  }();
  return s;
}

bool valid_folder_name(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (const char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

}  // namespace

bool is_study(const Node& root) { return root.find("arms") != nullptr; }

Study parse_study(const Node& root, const fs::path& file) {
  std::vector<Diagnostic> errors;
  Study study;
  const sdk::Config top = check_section(root, study_schema(), "the study", errors, {"arms", "include"});
  study.name = top.get_string("name").empty() ? file.stem().string() : top.get_string("name");
  study.description = top.get_string("description");
  study.columns = top.get_string_list("columns");
  study.against = top.get_string("against");
  if (!study.against.empty()) {
    const bool dotted = std::all_of(study.against.begin(), study.against.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.';
    });
    const Node* at = root.find("against");
    if (!dotted || study.against.front() == '.' || study.against.back() == '.')
      errors.push_back({at ? at->pos : root.pos, "'against' must be a pipeline key such as \"data.batch_size\", got '" +
                                                     study.against + "'"});
  }
  const Node* arms = root.find("arms");
  if (!arms || arms->type != Node::Type::TableArray || arms->array.empty()) {
    errors.push_back({arms ? arms->pos : root.pos, "a study needs at least one [[arms]] table"});
    throw ConfigError(errors);
  }
  std::set<std::string> names, outputs;
  for (size_t i = 0; i < arms->array.size(); ++i) {
    const Node& t = arms->array[i];
    const std::string where = "[[arms]] #" + std::to_string(i + 1);
    const size_t before = errors.size();
    const sdk::Config c = check_section(t, arm_schema(), where, errors);
    const Node* name_node = t.find("name");
    const std::string* given_name = name_node ? std::get_if<std::string>(&name_node->value) : nullptr;
    if (given_name && !names.insert(*given_name).second) {
      errors.push_back({name_node->pos, where + ": a second arm named '" + *given_name + "'"});
      continue;
    }
    if (errors.size() != before) continue;
    StudyArm arm;
    arm.name = c.get_string("name");
    arm.pos = t.pos;
    arm.set = c.get_string_list("set");
    arm.output = c.get_string("output");
    arm.compare_to = c.get_string("compare_to");
    if (!valid_folder_name(arm.name)) {
      errors.push_back({t.find("name")->pos, where + ": name '" + arm.name +
                                                  "' must be a folder name (letters, digits, '_', '-', '.')"});
      continue;
    }
    if (!arm.output.empty() && (fs::path(arm.output).is_absolute() || arm.output.find("..") != std::string::npos)) {
      errors.push_back({t.find("output")->pos, where + ": output '" + arm.output +
                                                   "' must be a folder inside the runs folder (relative, no '..')"});
      continue;
    }
    if (!arm.output.empty() && !outputs.insert(arm.output).second) {
      errors.push_back({t.find("output")->pos, where + ": arm '" + arm.name + "' shares its run folder '" +
                                                   arm.output + "' with an earlier arm of this study"});
      continue;
    }
    arm.pipeline = file.parent_path() / c.get_string("pipeline");
    std::error_code ec;
    if (!fs::is_regular_file(arm.pipeline, ec)) {
      errors.push_back({t.find("pipeline")->pos, where + " (" + arm.name + "): no pipeline file " + arm.pipeline.string()});
      continue;
    }
    study.arms.push_back(std::move(arm));
  }
  // Every arm parsed (no errors): study.arms[i] is arms->array[i].
  const bool all_parsed = errors.empty();
  for (size_t i = 0; all_parsed && i < study.arms.size(); ++i) {
    const StudyArm& arm = study.arms[i];
    if (arm.compare_to.empty()) continue;
    const Node* at = arms->array[i].find("compare_to");
    if (arm.compare_to == arm.name)
      errors.push_back({at->pos, "arm '" + arm.name + "': compare_to names the arm itself"});
    else if (!names.count(arm.compare_to))
      errors.push_back({at->pos, "arm '" + arm.name + "': compare_to '" + arm.compare_to + "' is not an arm of this study"});
  }
  if (!errors.empty()) throw ConfigError(errors);
  return study;
}

}  // namespace ssl::host
