#pragma once
// A component's configuration schema: keys, types, defaults, constraints and one-line docs.
// The host validates a whole pipeline against the schemas before anything is built, and
// `ssl-host describe KIND/NAME` prints them.
//
//   Schema s;
//   s.add_float("temperature", 0.2, "softmax temperature tau (SimCLR: 0.2 on CIFAR)").greater_than(0);
//   s.add_string("interpolation", "bicubic", "resampling filter").choices({"nearest", "bilinear", "bicubic"});
//   s.add_required("root", ValueType::String, "folder holding the IDX files");
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ssl/sdk/export.h"
#include "ssl/sdk/value.h"

namespace ssl::sdk {

class Config;

struct KeySpec {
  std::string name;
  ValueType type = ValueType::Int;
  std::optional<Value> default_value;  // nullopt: the key is required
  std::string doc;
  std::optional<double> min, max;      // numeric bound (for lists: every element)
  bool min_exclusive = false, max_exclusive = false;
  std::vector<std::string> choices;    // strings (or every string of a list) must be one of these
  int64_t min_size = 0, max_size = -1; // list length bounds (-1: unbounded)

  bool required() const { return !default_value.has_value(); }
  // One readable phrase for the constraint ("> 0", "in [0, 1]", "one of: a, b"), or "".
  SSL_SDK_API std::string constraint_text() const;
};

// Fluent refinement of the key just added.
class SSL_SDK_API KeyBuilder {
 public:
  explicit KeyBuilder(KeySpec& spec) : spec_(&spec) {}
  KeyBuilder& min(double v);           // >= v
  KeyBuilder& max(double v);           // <= v
  KeyBuilder& greater_than(double v);  // > v
  KeyBuilder& less_than(double v);     // < v
  KeyBuilder& range(double lo, double hi);  // lo <= x <= hi
  KeyBuilder& choices(std::vector<std::string> allowed);
  KeyBuilder& size(int64_t min_size, int64_t max_size);  // list length bounds

 private:
  KeySpec* spec_;
};

class SSL_SDK_API Schema {
 public:
  KeyBuilder add_bool(const std::string& name, bool def, const std::string& doc);
  KeyBuilder add_int(const std::string& name, int64_t def, const std::string& doc);
  KeyBuilder add_float(const std::string& name, double def, const std::string& doc);
  KeyBuilder add_string(const std::string& name, const std::string& def, const std::string& doc);
  KeyBuilder add_int_list(const std::string& name, std::vector<int64_t> def, const std::string& doc);
  KeyBuilder add_float_list(const std::string& name, std::vector<double> def, const std::string& doc);
  KeyBuilder add_string_list(const std::string& name, std::vector<std::string> def,
                             const std::string& doc);
  KeyBuilder add_required(const std::string& name, ValueType type, const std::string& doc);
  // Adds every key of `other` (used to share option blocks between components).
  Schema& merge(const Schema& other);

  const std::vector<KeySpec>& keys() const { return keys_; }
  const KeySpec* find(const std::string& name) const;
  // The known key closest to `name` by edit distance, if it is close enough to suggest.
  std::optional<std::string> suggest(const std::string& name) const;

  // Type-converts and checks one value. Returns an error phrase ("expected float, got string",
  // "must be > 0, got -1") or nullopt; on success `out` holds the converted value.
  std::optional<std::string> check(const KeySpec& key, const Value& given, Value& out) const;

  // Fills defaults and checks every value; throws sdk::Error listing all problems.
  // The host does the same with file positions; this is for static twins and tests.
  Config resolve(const std::map<std::string, Value>& given, const std::string& context) const;

  // A TOML template with the defaults under `[header]`, each key preceded by its doc as a comment.
  std::string toml_template(const std::string& header, const std::string& type_name) const;

 private:
  KeyBuilder add(const std::string& name, ValueType type, std::optional<Value> def,
                 const std::string& doc);
  std::vector<KeySpec> keys_;
};

// Levenshtein distance, shared by every did-you-mean in the project.
SSL_SDK_API size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace ssl::sdk
