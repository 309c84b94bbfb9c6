#include "ssl/sdk/schema.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "ssl/sdk/config.h"
#include "ssl/sdk/error.h"

namespace ssl::sdk {

namespace {
std::string num(double v) {
  // Whole numbers print in full up to 2^53 (an int key's bound reads 1048576, not 1.04858e+06).
  if (std::abs(v) < 9007199254740992.0 && v == std::floor(v)) return std::to_string(static_cast<int64_t>(v));
  std::ostringstream out;
  out << v;
  return out.str();
}

std::vector<double> numbers_of(const Value& v) {
  switch (type_of(v)) {
    case ValueType::Int: return {static_cast<double>(std::get<int64_t>(v))};
    case ValueType::Float: return {std::get<double>(v)};
    case ValueType::IntList: {
      const auto& l = std::get<std::vector<int64_t>>(v);
      return {l.begin(), l.end()};
    }
    case ValueType::FloatList: return std::get<std::vector<double>>(v);
    default: return {};
  }
}

std::vector<std::string> strings_of(const Value& v) {
  if (type_of(v) == ValueType::String) return {std::get<std::string>(v)};
  if (type_of(v) == ValueType::StringList) return std::get<std::vector<std::string>>(v);
  return {};
}

int64_t list_size(const Value& v) {
  switch (type_of(v)) {
    case ValueType::IntList: return static_cast<int64_t>(std::get<std::vector<int64_t>>(v).size());
    case ValueType::FloatList: return static_cast<int64_t>(std::get<std::vector<double>>(v).size());
    case ValueType::StringList: return static_cast<int64_t>(std::get<std::vector<std::string>>(v).size());
    default: return -1;
  }
}
}  // namespace

std::string KeySpec::constraint_text() const {
  std::vector<std::string> parts;
  if (min && max) {
    parts.push_back(std::string(min_exclusive ? "in (" : "in [") + num(*min) + ", " + num(*max) +
                    (max_exclusive ? ")" : "]"));
  } else if (min) {
    parts.push_back(std::string(min_exclusive ? "> " : ">= ") + num(*min));
  } else if (max) {
    parts.push_back(std::string(max_exclusive ? "< " : "<= ") + num(*max));
  }
  if (!choices.empty()) {
    std::string c = "one of: ";
    for (size_t i = 0; i < choices.size(); ++i) c += (i ? ", " : "") + choices[i];
    parts.push_back(c);
  }
  if (min_size > 0 || max_size >= 0) {
    if (min_size == max_size) parts.push_back(std::to_string(min_size) + " items");
    else if (max_size < 0) parts.push_back(">= " + std::to_string(min_size) + " items");
    else parts.push_back(std::to_string(min_size) + ".." + std::to_string(max_size) + " items");
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
  return out;
}

KeyBuilder& KeyBuilder::min(double v) { spec_->min = v; spec_->min_exclusive = false; return *this; }
KeyBuilder& KeyBuilder::max(double v) { spec_->max = v; spec_->max_exclusive = false; return *this; }
KeyBuilder& KeyBuilder::greater_than(double v) { spec_->min = v; spec_->min_exclusive = true; return *this; }
KeyBuilder& KeyBuilder::less_than(double v) { spec_->max = v; spec_->max_exclusive = true; return *this; }
KeyBuilder& KeyBuilder::range(double lo, double hi) { min(lo); return max(hi); }
KeyBuilder& KeyBuilder::choices(std::vector<std::string> allowed) {
  spec_->choices = std::move(allowed);
  return *this;
}
KeyBuilder& KeyBuilder::size(int64_t min_size, int64_t max_size) {
  spec_->min_size = min_size;
  spec_->max_size = max_size;
  return *this;
}

KeyBuilder Schema::add(const std::string& name, ValueType type, std::optional<Value> def,
                       const std::string& doc) {
  SSL_CHECK(find(name) == nullptr, "schema declares key '", name, "' twice");
  KeySpec spec;
  spec.name = name;
  spec.type = type;
  spec.default_value = std::move(def);
  spec.doc = doc;
  keys_.push_back(std::move(spec));
  return KeyBuilder(keys_.back());
}

KeyBuilder Schema::add_bool(const std::string& n, bool d, const std::string& doc) {
  return add(n, ValueType::Bool, Value(d), doc);
}
KeyBuilder Schema::add_int(const std::string& n, int64_t d, const std::string& doc) {
  return add(n, ValueType::Int, Value(d), doc);
}
KeyBuilder Schema::add_float(const std::string& n, double d, const std::string& doc) {
  return add(n, ValueType::Float, Value(d), doc);
}
KeyBuilder Schema::add_string(const std::string& n, const std::string& d, const std::string& doc) {
  return add(n, ValueType::String, Value(d), doc);
}
KeyBuilder Schema::add_int_list(const std::string& n, std::vector<int64_t> d, const std::string& doc) {
  return add(n, ValueType::IntList, Value(std::move(d)), doc);
}
KeyBuilder Schema::add_float_list(const std::string& n, std::vector<double> d, const std::string& doc) {
  return add(n, ValueType::FloatList, Value(std::move(d)), doc);
}
KeyBuilder Schema::add_string_list(const std::string& n, std::vector<std::string> d,
                                   const std::string& doc) {
  return add(n, ValueType::StringList, Value(std::move(d)), doc);
}
KeyBuilder Schema::add_required(const std::string& n, ValueType type, const std::string& doc) {
  return add(n, type, std::nullopt, doc);
}

Schema& Schema::merge(const Schema& other) {
  for (const auto& k : other.keys_) {
    SSL_CHECK(find(k.name) == nullptr, "schema declares key '", k.name, "' twice");
    keys_.push_back(k);
  }
  return *this;
}

const KeySpec* Schema::find(const std::string& name) const {
  for (const auto& k : keys_)
    if (k.name == name) return &k;
  return nullptr;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> Schema::suggest(const std::string& name) const {
  std::optional<std::string> best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& k : keys_) {
    const size_t d = edit_distance(name, k.name);
    if (d < best_d) { best_d = d; best = k.name; }
  }
  return best;
}

std::optional<std::string> Schema::check(const KeySpec& key, const Value& given, Value& out) const {
  Value v;
  if (!coerce_value(given, key.type, v)) {
    return std::string("expected ") + type_name(key.type) + ", got " + type_name(type_of(given)) +
           " " + format_value(given);
  }
  const int64_t n = list_size(v);
  if (n >= 0 && (n < key.min_size || (key.max_size >= 0 && n > key.max_size))) {
    const std::string items = key.min_size == key.max_size ? std::to_string(key.min_size)
                              : key.max_size < 0             ? "at least " + std::to_string(key.min_size)
                                                             : std::to_string(key.min_size) + ".." + std::to_string(key.max_size);
    return "must have " + items + " items, got " + std::to_string(n);
  }
  for (double x : numbers_of(v)) {
    const bool low = key.min && (key.min_exclusive ? !(x > *key.min) : !(x >= *key.min));
    const bool high = key.max && (key.max_exclusive ? !(x < *key.max) : !(x <= *key.max));
    if (low || high || std::isnan(x)) return "must be " + key.constraint_text() + ", got " + format_value(given);
  }
  if (!key.choices.empty()) {
    for (const auto& s : strings_of(v)) {
      if (std::find(key.choices.begin(), key.choices.end(), s) == key.choices.end()) {
        return "must be " + key.constraint_text() + ", got \"" + s + "\"";
      }
    }
  }
  out = std::move(v);
  return std::nullopt;
}

Config Schema::resolve(const std::map<std::string, Value>& given, const std::string& context) const {
  std::vector<std::string> errors;
  std::map<std::string, Value> values;
  for (const auto& [name, value] : given) {
    const KeySpec* key = find(name);
    if (!key) {
      auto s = suggest(name);
      errors.push_back("unknown key '" + name + "'" + (s ? "; did you mean '" + *s + "'?" : ""));
      continue;
    }
    Value out;
    if (auto err = check(*key, value, out)) errors.push_back("'" + name + "' " + *err);
    else values[name] = std::move(out);
  }
  for (const auto& key : keys_) {
    if (values.count(key.name) || given.count(key.name)) continue;
    if (key.required()) errors.push_back("missing required key '" + key.name + "'");
    else values[key.name] = *key.default_value;
  }
  if (!errors.empty()) {
    std::string msg = context + ": invalid configuration";
    for (const auto& e : errors) msg += "\n  " + e;
    throw Error(msg);
  }
  return Config(context, std::move(values));
}

std::string Schema::toml_template(const std::string& header, const std::string& type_name_) const {
  std::ostringstream out;
  out << "[" << header << "]\n";
  out << "type = \"" << type_name_ << "\"\n";
  for (const auto& k : keys_) {
    out << "# " << k.doc;
    const std::string c = k.constraint_text();
    if (!c.empty()) out << " (" << c << ")";
    out << "\n";
    if (k.required()) out << "# " << k.name << " = <" << type_name(k.type) << ">  (required)\n";
    else out << k.name << " = " << format_value(*k.default_value) << "\n";
  }
  return out.str();
}

}  // namespace ssl::sdk
