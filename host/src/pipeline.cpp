#include "pipeline.h"

#include <algorithm>
#include <sstream>

#include "host_schema.h"
#include "plugin_library.h"
#include "ssl/sdk/error.h"

namespace ssl::host {

namespace fs = std::filesystem;

std::string Pipeline::name() const {
  const std::string& n = settings.get_string("name");
  return n.empty() ? file.stem().string() : n;
}
fs::path Pipeline::base_dir() const { return file.parent_path(); }
int64_t Pipeline::total_views() const {
  int64_t n = 0;
  for (const auto& g : views) n += g.count;
  return n;
}

namespace {

std::optional<std::string> closest_name(const std::string& key, const std::vector<std::string>& options) {
  std::optional<std::string> best;
  size_t best_d = std::max<size_t>(2, key.size() / 3) + 1;
  for (const auto& o : options) {
    const size_t d = sdk::edit_distance(key, o);
    if (d < best_d) { best_d = d; best = o; }
  }
  return best;
}

// Up to three names like `name`, closest first: near in edit distance, or one inside the other.
std::vector<std::string> similar_names(const std::string& name, const std::vector<std::string>& options) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& o : options) {
    const size_t d = sdk::edit_distance(name, o);
    const bool related = o.find(name) != std::string::npos || name.find(o) != std::string::npos;
    if (d <= std::max<size_t>(2, name.size() / 3) || related) scored.emplace_back(d, o);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < 3; ++i) out.push_back(scored[i].second);
  return out;
}

}  // namespace

sdk::Config check_section(const Node& table, const sdk::Schema& schema, const std::string& where,
                          std::vector<Diagnostic>& errors, const std::vector<std::string>& other_keys) {
  auto error = [&](const SourcePos& pos, std::string message) { errors.push_back({pos, std::move(message)}); };
  std::map<std::string, sdk::Value> values;
  for (const auto& [key, node] : table.table) {
    if (std::find(other_keys.begin(), other_keys.end(), key) != other_keys.end()) continue;
    const sdk::KeySpec* spec = schema.find(key);
    if (!spec) {
      std::string msg = "unknown key '" + key + "' in " + where;
      auto suggestion = schema.suggest(key);
      if (!suggestion) suggestion = closest_name(key, other_keys);
      if (suggestion) msg += "; did you mean '" + *suggestion + "'?";
      error(node.pos, msg);
      continue;
    }
    if (node.type != Node::Type::Value) {
      error(node.pos, "'" + key + "' in " + where + " must be a " + sdk::type_name(spec->type) + ", not a table");
      continue;
    }
    sdk::Value given = node.value;
    if (node.raw) {
      auto typed = parse_raw_as(*node.raw, spec->type);
      if (!typed) {
        error(node.pos, "'" + key + "' in " + where + ": expected " + sdk::type_name(spec->type) + ", got '" +
                            *node.raw + "'");
        continue;
      }
      given = *typed;
    }
    sdk::Value out;
    if (auto problem = schema.check(*spec, given, out)) {
      error(node.pos, "'" + key + "' in " + where + " " + *problem);
      continue;
    }
    values[key] = std::move(out);
  }
  for (const auto& spec : schema.keys()) {
    if (values.count(spec.name)) continue;
    if (spec.required()) {
      if (!table.find(spec.name)) error(table.pos, "missing required key '" + spec.name + "' in " + where);
      continue;
    }
    values[spec.name] = *spec.default_value;
  }
  return sdk::Config(where, std::move(values));
}

namespace {

class Validator {
 public:
  explicit Validator(const Registry& registry) : registry_(registry) {}
  std::vector<Diagnostic> errors;

  void error(const SourcePos& pos, std::string message) { errors.push_back({pos, std::move(message)}); }

  sdk::Config section(const Node& table, const sdk::Schema& schema, const std::string& where,
                      const std::vector<std::string>& other_keys = {}) {
    return check_section(table, schema, where, errors, other_keys);
  }

  // A component table: `type` picks the registry entry; the rest is checked against the
  // component's schema plus the host's common keys for its kind.
  ComponentConfig component(const Node& table, sdk::Kind kind, const std::string& role) {
    ComponentConfig out;
    out.role = role;
    out.pos = table.pos;
    const std::string where = "[" + role + "]";
    if (table.type != Node::Type::Table) {
      error(table.pos, where + " must be a table");
      return out;
    }
    const Node* type = table.find("type");
    const std::string* name = type ? std::get_if<std::string>(&type->value) : nullptr;
    if (!type || type->type != Node::Type::Value || !name) {
      error(type ? type->pos : table.pos,
            where + " needs type = \"<" + sdk::kind_name(kind) + " name>\" (ssl-host list " + sdk::kind_name(kind) + ")");
      return out;
    }
    out.entry = registry_.find(kind, *name);
    if (!out.entry) {
      const std::string kind_name = sdk::kind_name(kind);
      std::string msg = "unknown " + kind_name + " '" + *name + "'";
      const auto similar = similar_names(*name, registry_.names(kind));
      for (size_t i = 0; i < similar.size(); ++i)
        msg += (i == 0 ? "; did you mean '" : (i + 1 == similar.size() ? "' or '" : "', '")) + similar[i];
      if (!similar.empty()) msg += "'?";
      msg += " (`ssl-host list " + kind_name + "` shows what is installed; plugins are found through " +
             plugin_search_path_text() + ")";
      error(type->pos, msg);
      return out;
    }
    const std::string context = std::string(sdk::kind_name(kind)) + " " + *name;
    sdk::Schema combined = out.entry->spec.schema;
    const sdk::Schema& common = common_component_schema(kind);
    combined.merge(common);
    sdk::Config all = section(table, combined, where + " (" + context + ")", {"type"});
    std::map<std::string, sdk::Value> own, host;
    for (const auto& [k, v] : all.values()) (common.find(k) ? host : own)[k] = v;
    out.config = sdk::Config(context, std::move(own));
    out.common = sdk::Config(context, std::move(host));
    return out;
  }

  const Node* table_array(const Node& root, const std::string& key) {
    const Node* n = root.find(key);
    if (!n) return nullptr;
    const auto* empty = std::get_if<std::vector<int64_t>>(&n->value);
    if (n->type == Node::Type::Value && empty && empty->empty()) return nullptr;  // key = []
    if (n->type != Node::Type::TableArray) {
      error(n->pos, "'" + key + "' must be an array of tables ([[" + key + "]])");
      return nullptr;
    }
    return n;
  }

 private:
  const Registry& registry_;
};

const std::vector<std::string> kSections = {"data",      "views",    "target_views", "eval_ops",   "backbone", "method",
                                            "optimizer", "schedule", "trainer",      "evaluators", "alarms"};

}  // namespace

Pipeline resolve_pipeline(const Node& root, const Registry& registry, const fs::path& file) {
  Validator v(registry);
  Pipeline p;
  p.file = file;
  const SourcePos top{file.string(), 1, 1};
  p.settings = v.section(root, pipeline_schema(), "the pipeline", kSections);

  auto table_or_empty = [&](const std::string& key) -> Node {
    const Node* n = root.find(key);
    if (!n) {
      Node empty;
      empty.type = Node::Type::Table;
      empty.pos = top;
      return empty;
    }
    if (n->type != Node::Type::Table) {
      v.error(n->pos, "'" + key + "' must be a table ([" + key + "])");
      Node empty;
      empty.pos = n->pos;
      return empty;
    }
    return *n;
  };

  // [data] with [data.train] (or [data.source] and [data.target]) and optional [data.test]
  // and [data.eval_train]
  const Node data = table_or_empty("data");
  p.data = v.section(data, data_schema(), "[data]", {"train", "source", "target", "test", "eval_train"});
  const Node* train = data.find("train");
  const Node* source = data.find("source");
  const Node* target = data.find("target");
  if (train && source) {
    v.error(source->pos, "[data.train] and [data.source] are both given: a two-domain pipeline names its labelled "
                         "data [data.source] (with an unlabelled [data.target]), a one-domain pipeline [data.train]");
  } else if (source) {
    p.train_data = v.component(*source, sdk::Kind::Dataset, "data.source");
    if (!target)
      v.error(source->pos, "[data.source] needs [data.target]: the unlabelled data of the other domain (a "
                           "one-domain pipeline names its data [data.train])");
  } else if (train) {
    p.train_data = v.component(*train, sdk::Kind::Dataset, "data.train");
  } else {
    v.error(data.pos, "missing [data.train]: the training dataset (e.g. type = \"idx\"; a two-domain pipeline: "
                      "[data.source] and [data.target])");
  }
  if (target) {
    p.target_data = v.component(*target, sdk::Kind::Dataset, "data.target");
    if (train && !source)
      v.error(target->pos, "[data.target] pairs with a labelled [data.source]: rename [data.train] to [data.source]");
  }
  if (const Node* test = data.find("test")) p.test_data = v.component(*test, sdk::Kind::Dataset, "data.test");
  if (const Node* eval_train = data.find("eval_train"))
    p.eval_train_data = v.component(*eval_train, sdk::Kind::Dataset, "data.eval_train");

  // [[views]] groups, each with [[views.ops]]; [[target_views]] likewise
  const size_t errors_before_views = v.errors.size();
  auto view_groups = [&](const Node& array, const std::string& key) {
    std::vector<ViewGroup> groups;
    for (size_t g = 0; g < array.array.size(); ++g) {
      const Node& group = array.array[g];
      const std::string role = key + "." + std::to_string(g);
      ViewGroup vg;
      vg.pos = group.pos;
      sdk::Config c = v.section(group, view_group_schema(), "[[" + key + "]] #" + std::to_string(g), {"ops"});
      if (c.has("count")) vg.count = c.get_int("count");
      if (c.has("name")) vg.name = c.get_string("name");
      if (const Node* ops = v.table_array(group, "ops")) {
        for (size_t i = 0; i < ops->array.size(); ++i) {
          vg.ops.push_back(v.component(ops->array[i], sdk::Kind::Augmentation, role + ".ops." + std::to_string(i)));
        }
      }
      groups.push_back(std::move(vg));
    }
    return groups;
  };
  p.views_pos = top;
  if (const Node* views = v.table_array(root, "views")) {
    p.views_pos = views->pos;
    p.views = view_groups(*views, "views");
  }
  p.target_views_pos = p.views_pos;
  if (const Node* views = v.table_array(root, "target_views")) {
    p.target_views_pos = views->pos;
    p.target_views = view_groups(*views, "target_views");
    if (!target)
      v.error(views->pos, "[[target_views]] are the view groups of [data.target], which this pipeline does not have");
  }
  const bool views_ok = v.errors.size() == errors_before_views;
  if (const Node* ops = v.table_array(root, "eval_ops")) {
    for (size_t i = 0; i < ops->array.size(); ++i) {
      p.eval_ops.push_back(v.component(ops->array[i], sdk::Kind::Augmentation, "eval_ops." + std::to_string(i)));
    }
  }

  if (const Node* n = root.find("backbone")) p.backbone = v.component(*n, sdk::Kind::Backbone, "backbone");
  else v.error(top, "missing [backbone] (e.g. type = \"resnet18\")");
  const size_t errors_before_method = v.errors.size();
  if (const Node* n = root.find("method")) p.method = v.component(*n, sdk::Kind::Method, "method");
  else v.error(top, "missing [method] (e.g. type = \"simclr\")");
  // The view count and the domains need a valid method table (the count: valid view groups).
  if (v.errors.size() == errors_before_method && p.method.entry) {
    if (views_ok)
      for (auto& d : check_view_count(p)) v.errors.push_back(std::move(d));
    const bool two = method_uses_target_domain(p);
    if (two && !target && !source)
      v.error(p.method.pos, "method " + p.method.type() + " trains on two domains (uses_target_domain): the pipeline "
                            "needs a labelled [data.source] and an unlabelled [data.target] instead of [data.train]");
    if (!two && target)
      v.error(target->pos, "[data.target] is for a method that trains on two domains; method " + p.method.type() +
                               " trains on one (use [data.train])");
  }

  p.optimizer = v.section(table_or_empty("optimizer"), optimizer_schema(), "[optimizer]");
  p.schedule = v.section(table_or_empty("schedule"), schedule_schema(), "[schedule]");
  p.trainer = v.section(table_or_empty("trainer"), trainer_schema(), "[trainer]");
  p.alarms = v.section(table_or_empty("alarms"), alarms_schema(), "[alarms]");

  if (const Node* evals = v.table_array(root, "evaluators")) {
    for (size_t i = 0; i < evals->array.size(); ++i) {
      p.evaluators.push_back(v.component(evals->array[i], sdk::Kind::Evaluator, "evaluators." + std::to_string(i)));
    }
  }
  if (!v.errors.empty()) throw ConfigError(v.errors);
  return p;
}

sdk::ViewSpec method_views(const Pipeline& p) {
  SSL_CHECK(p.method.entry != nullptr, "the pipeline has no resolved method");
  return p.method.entry->spec.views_for(p.method.config);
}

bool method_uses_labels(const Pipeline& p) {
  SSL_CHECK(p.method.entry != nullptr, "the pipeline has no resolved method");
  return p.method.entry->spec.uses_labels_for(p.method.config);
}

bool method_uses_target_domain(const Pipeline& p) {
  SSL_CHECK(p.method.entry != nullptr, "the pipeline has no resolved method");
  return p.method.entry->spec.uses_target_domain_for(p.method.config);
}

std::vector<Diagnostic> check_view_count(const Pipeline& p) {
  sdk::ViewSpec spec;
  try {
    spec = method_views(p);
  } catch (const std::exception& e) {
    return {Diagnostic{p.method.pos, "method " + p.method.type() + ": its views() failed: " + e.what()}};
  }
  if (spec.own_transform) return {};  // the method's sample_transform replaces the groups
  const std::string want = spec.min_views == spec.max_views
                               ? std::to_string(spec.min_views)
                               : std::to_string(spec.min_views) + ".." + std::to_string(spec.max_views);
  std::vector<Diagnostic> problems;
  auto check = [&](const std::vector<ViewGroup>& groups, const SourcePos& pos, const std::string& what) {
    int64_t have = 0;
    for (const auto& g : groups) have += g.count;
    if (have < spec.min_views || have > spec.max_views)
      problems.push_back({pos, "method " + p.method.type() + " needs " + want + " views per image, the " + what +
                                   " groups produce " + std::to_string(have)});
  };
  check(p.views, p.views_pos, "[[views]]");
  if (!p.target_views.empty()) check(p.target_views, p.target_views_pos, "[[target_views]]");
  return problems;
}

namespace {
void write_values(std::ostringstream& out, const sdk::Config& c) {
  for (const auto& [k, val] : c.values()) out << k << " = " << sdk::format_value(val) << "\n";
}
void write_component(std::ostringstream& out, const std::string& header, const ComponentConfig& c) {
  out << header << "\n";
  out << "type = " << sdk::format_value(sdk::Value(c.type())) << "\n";
  write_values(out, c.config);
  write_values(out, c.common);
  out << "\n";
}
}  // namespace

Pipeline load_pipeline(const Registry& registry, const fs::path& file, const std::vector<std::string>& overrides) {
  return resolve_with_overrides(load_document(file), registry, file, overrides);
}

Pipeline resolve_with_overrides(Node root, const Registry& registry, const fs::path& file,
                                const std::vector<std::string>& overrides) {
  std::vector<Diagnostic> errors;
  for (const auto& o : overrides) {
    try {
      apply_override(root, o);
    } catch (const ConfigError& e) {
      errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  }
  if (!errors.empty()) throw ConfigError(errors);
  return resolve_pipeline(root, registry, file);
}

std::string to_toml(const Pipeline& p) {
  std::ostringstream out;
  out << "# Resolved pipeline: every key with its effective value (defaults included).\n";
  out << "# Generated from " << p.file.string() << "\n";
  for (const auto& [k, val] : p.settings.values()) {
    out << k << " = " << sdk::format_value(k == "name" ? sdk::Value(p.name()) : val) << "\n";
  }
  out << "\n[data]\n";
  write_values(out, p.data);
  out << "\n";
  write_component(out, "[" + p.train_data.role + "]", p.train_data);
  if (p.target_data) write_component(out, "[data.target]", *p.target_data);
  if (p.test_data) write_component(out, "[data.test]", *p.test_data);
  if (p.eval_train_data) write_component(out, "[data.eval_train]", *p.eval_train_data);
  auto write_groups = [&](const std::vector<ViewGroup>& groups, const std::string& key) {
    for (const auto& g : groups) {
      out << "[[" << key << "]]\ncount = " << g.count << "\nname = " << sdk::format_value(sdk::Value(g.name)) << "\n\n";
      for (const auto& op : g.ops) write_component(out, "[[" + key + ".ops]]", op);
    }
  };
  write_groups(p.views, "views");
  write_groups(p.target_views, "target_views");
  for (const auto& op : p.eval_ops) write_component(out, "[[eval_ops]]", op);
  write_component(out, "[backbone]", p.backbone);
  write_component(out, "[method]", p.method);
  out << "[optimizer]\n";
  write_values(out, p.optimizer);
  out << "\n[schedule]\n";
  write_values(out, p.schedule);
  out << "\n[trainer]\n";
  write_values(out, p.trainer);
  out << "\n[alarms]\n";
  write_values(out, p.alarms);
  out << "\n";
  for (const auto& e : p.evaluators) write_component(out, "[[evaluators]]", e);
  return out.str();
}

}  // namespace ssl::host
