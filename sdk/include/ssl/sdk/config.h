#pragma once
// A component's validated, read-only configuration. Every key of its schema is present
// (defaults filled in); asking for an undeclared key or the wrong type is a programming
// error and throws sdk::Error naming the component.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ssl/sdk/export.h"
#include "ssl/sdk/value.h"

namespace ssl::sdk {

class SSL_SDK_API Config {
 public:
  Config() = default;
  Config(std::string context, std::map<std::string, Value> values);

  // Where this configuration came from, e.g. "method simclr"; used in error messages.
  const std::string& context() const { return context_; }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  const std::map<std::string, Value>& values() const { return values_; }

  bool get_bool(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;  // ints are widened
  const std::string& get_string(const std::string& key) const;
  std::vector<int64_t> get_int_list(const std::string& key) const;
  std::vector<double> get_float_list(const std::string& key) const;  // int lists are widened
  std::vector<std::string> get_string_list(const std::string& key) const;

 private:
  const Value& at(const std::string& key) const;
  std::string context_;
  std::map<std::string, Value> values_;
};

}  // namespace ssl::sdk
