#include "config_tree.h"

#include <toml++/toml.h>

#include <algorithm>
#include <set>

#include "install_dirs.h"

namespace ssl::host {

namespace fs = std::filesystem;

ConfigError::ConfigError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(diagnostics.empty() ? std::string("configuration error") : diagnostics.front().str()),
      diagnostics_(std::move(diagnostics)) {}

namespace {
std::vector<Diagnostic> single(const std::string& message) {
  std::vector<Diagnostic> v(1);
  v.front().message = message;
  return v;
}
}  // namespace

ConfigError::ConfigError(const std::string& message) : ConfigError(single(message)) {}

Node* Node::find(const std::string& key) {
  for (auto& [k, v] : table)
    if (k == key) return &v;
  return nullptr;
}
const Node* Node::find(const std::string& key) const {
  for (const auto& [k, v] : table)
    if (k == key) return &v;
  return nullptr;
}
Node& Node::set(const std::string& key, Node node) {
  if (Node* existing = find(key)) return *existing = std::move(node);
  table.emplace_back(key, std::move(node));
  return table.back().second;
}

namespace {

SourcePos pos_of(const toml::source_region& src, const std::string& file) {
  return SourcePos{file, static_cast<int>(src.begin.line), static_cast<int>(src.begin.column)};
}

// A TOML array of scalars as one sdk::Value list; all-int -> IntList, numbers -> FloatList,
// strings -> StringList.
std::optional<sdk::Value> scalar_list(const toml::array& arr, std::string& why) {
  bool all_int = true, all_num = true, all_str = true;
  for (const auto& e : arr) {
    all_int = all_int && e.is_integer();
    all_num = all_num && (e.is_integer() || e.is_floating_point());
    all_str = all_str && e.is_string();
  }
  if (arr.empty() || all_int) {
    std::vector<int64_t> v;
    for (const auto& e : arr) v.push_back(e.value<int64_t>().value_or(0));
    return sdk::Value(v);
  }
  if (all_num) {
    std::vector<double> v;
    for (const auto& e : arr) v.push_back(e.value<double>().value_or(0.0));
    return sdk::Value(v);
  }
  if (all_str) {
    std::vector<std::string> v;
    for (const auto& e : arr) v.push_back(std::string(*e.value<std::string>()));
    return sdk::Value(v);
  }
  why = "arrays must hold only numbers, only strings, or only tables";
  return std::nullopt;
}

Node convert(const toml::node& n, const std::string& file, std::vector<Diagnostic>& errors);

Node convert_table(const toml::table& t, const std::string& file, std::vector<Diagnostic>& errors) {
  Node out;
  out.type = Node::Type::Table;
  out.pos = pos_of(t.source(), file);
  for (const auto& [k, v] : t) {
    Node child = convert(v, file, errors);
    // Diagnostics point at the key: "p.toml:12:1: 'k' must be >= 1".
    child.pos = pos_of(k.source(), file);
    out.table.emplace_back(std::string(k.str()), std::move(child));
  }
  return out;
}

Node convert(const toml::node& n, const std::string& file, std::vector<Diagnostic>& errors) {
  Node out;
  out.pos = pos_of(n.source(), file);
  out.type = Node::Type::Value;
  if (const auto* t = n.as_table()) return convert_table(*t, file, errors);
  if (const auto* a = n.as_array()) {
    const bool tables = !a->empty() && std::all_of(a->begin(), a->end(), [](const toml::node& e) { return e.is_table(); });
    if (tables) {
      out.type = Node::Type::TableArray;
      for (const auto& e : *a) out.array.push_back(convert_table(*e.as_table(), file, errors));
      return out;
    }
    std::string why;
    if (auto v = scalar_list(*a, why)) out.value = *v;
    else errors.push_back({out.pos, why});
    return out;
  }
  if (auto v = n.value_exact<bool>()) out.value = *v;
  else if (auto i = n.value_exact<int64_t>()) out.value = *i;
  else if (auto d = n.value_exact<double>()) out.value = *d;
  else if (auto s = n.value_exact<std::string>()) out.value = *s;
  else errors.push_back({out.pos, "unsupported value type (dates and times are not used in pipelines)"});
  return out;
}

// A component table that names another `type` replaces the table instead of merging into it
// (the old component's keys mean nothing to the new one).
bool changes_type(const Node& base, const Node& top) {
  const Node* a = base.find("type");
  const Node* b = top.find("type");
  return a && b && a->type == Node::Type::Value && b->type == Node::Type::Value && !(a->value == b->value);
}

// Deep merge: tables merge key by key, everything else is replaced by `top`.
void merge_into(Node& base, Node top) {
  if (base.type == Node::Type::Table && top.type == Node::Type::Table && !changes_type(base, top)) {
    for (auto& [k, v] : top.table) {
      if (Node* existing = base.find(k)) merge_into(*existing, std::move(v));
      else base.table.emplace_back(k, std::move(v));
    }
    return;
  }
  base = std::move(top);
}

// An include path: absolute; relative to the including file; or, when not there, relative to
// a shipped pipelines folder (a pipeline copied out of pipelines/ keeps its includes).
fs::path resolve_include(const fs::path& including, const std::string& rel) {
  const fs::path given(rel);
  if (given.is_absolute()) return given;
  const fs::path local = including.parent_path() / given;
  std::error_code ec;
  if (fs::exists(local, ec)) return local;
  for (const auto& dir : shipped_pipeline_dirs()) {
    const fs::path shipped = (dir / given).lexically_normal();
    if (fs::is_regular_file(shipped, ec)) return shipped;
  }
  return local;  // not found anywhere: the error names the path next to the including file
}

Node load_recursive(const fs::path& path, std::vector<fs::path>& stack, const SourcePos& from) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(path, ec);
  if (!fs::is_regular_file(path, ec)) {
    std::string msg = "pipeline file not found: " + path.string();
    if (from.line > 0) {
      msg += " (an include is looked up next to the including file, then in the shipped pipelines folders:";
      for (const auto& dir : shipped_pipeline_dirs()) msg += " " + dir.string();
      msg += ")";
    }
    throw ConfigError({{from, msg}});
  }
  if (std::find(stack.begin(), stack.end(), canonical) != stack.end()) {
    throw ConfigError({{from, "include cycle: " + path.string() + " includes itself"}});
  }
  const std::string file = path.string();
  toml::table parsed;
  try {
    parsed = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    throw ConfigError({{pos_of(e.source(), file), "TOML syntax error: " + std::string(e.description())}});
  }
  std::vector<Diagnostic> errors;
  Node doc = convert_table(parsed, file, errors);
  if (!errors.empty()) throw ConfigError(errors);

  Node merged;
  merged.type = Node::Type::Table;
  merged.pos = SourcePos{file, 1, 1};
  if (const Node* inc = doc.find("include")) {
    const auto* list = std::get_if<std::vector<std::string>>(&inc->value);
    const auto* empty = std::get_if<std::vector<int64_t>>(&inc->value);
    if (inc->type != Node::Type::Value || (!list && !(empty && empty->empty()))) {
      throw ConfigError({{inc->pos, "'include' must be a list of file paths"}});
    }
    stack.push_back(canonical);
    if (list) {
      for (const auto& rel : *list) merge_into(merged, load_recursive(resolve_include(path, rel), stack, inc->pos));
    }
    stack.pop_back();
    doc.table.erase(std::remove_if(doc.table.begin(), doc.table.end(),
                                   [](const auto& kv) { return kv.first == "include"; }),
                    doc.table.end());
  }
  merge_into(merged, std::move(doc));
  return merged;
}

}  // namespace

Node load_document(const fs::path& path) {
  std::vector<fs::path> stack;
  return load_recursive(path, stack, SourcePos{path.string(), 0, 0});
}

sdk::Value parse_raw_value(const std::string& text) {
  try {
    toml::table t = toml::parse("v = " + text);
    std::vector<Diagnostic> ignored;
    Node n = convert(*t.get("v"), "--set", ignored);
    if (ignored.empty() && n.type == Node::Type::Value) return n.value;
  } catch (const toml::parse_error&) {
  }
  return sdk::Value(text);
}

std::optional<sdk::Value> parse_raw_as(const std::string& text, sdk::ValueType type) {
  if (type == sdk::ValueType::String) {
    // Quoted or bare: both mean the string.
    const sdk::Value v = parse_raw_value(text);
    if (const auto* s = std::get_if<std::string>(&v)) return sdk::Value(*s);
    return sdk::Value(text);
  }
  sdk::Value out;
  if (sdk::coerce_value(parse_raw_value(text), type, out)) return out;
  return std::nullopt;
}

void apply_override(Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("--set: expected KEY=VALUE, got '" + assignment + "'");
  }
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  const SourcePos pos{"--set " + path, 0, 0};
  Node* cur = &root;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) throw ConfigError({{pos, "empty key segment in '" + path + "'"}});
    if (dot == std::string::npos) {
      Node leaf;
      leaf.type = Node::Type::Value;
      leaf.value = parse_raw_value(text);
      leaf.raw = text;
      leaf.pos = pos;
      // A new component type replaces the table, as in includes: the old keys belong to the
      // old component (later --set keys may add the new one's).
      const Node* old_type = key == "type" && cur != &root ? cur->find("type") : nullptr;
      if (old_type && old_type->type == Node::Type::Value && !(old_type->value == leaf.value)) cur->table.clear();
      cur->set(key, std::move(leaf));
      return;
    }
    Node* next = cur->find(key);
    if (next && next->type == Node::Type::TableArray) {
      const size_t dot2 = path.find('.', dot + 1);
      const std::string idx = path.substr(dot + 1, dot2 == std::string::npos ? std::string::npos : dot2 - dot - 1);
      size_t i = 0;
      try {
        i = std::stoul(idx);
      } catch (...) {
        throw ConfigError({{pos, "'" + key + "' is a list of tables: index it, e.g. " + key + ".0.<key>"}});
      }
      if (i >= next->array.size() || dot2 == std::string::npos) {
        throw ConfigError({{pos, "'" + key + "' has " + std::to_string(next->array.size()) +
                                     " entries; index " + idx + " is out of range"}});
      }
      cur = &next->array[i];
      start = dot2 + 1;
      continue;
    }
    if (!next) {
      Node table;
      table.type = Node::Type::Table;
      table.pos = pos;
      next = &cur->set(key, std::move(table));
    } else if (next->type != Node::Type::Table) {
      throw ConfigError({{pos, "'" + key + "' is a value, not a table"}});
    }
    cur = next;
    start = dot + 1;
  }
}

}  // namespace ssl::host
