#include "ssl/sdk/config.h"

#include "ssl/sdk/error.h"

namespace ssl::sdk {

Config::Config(std::string context, std::map<std::string, Value> values)
    : context_(std::move(context)), values_(std::move(values)) {}

const Value& Config::at(const std::string& key) const {
  auto it = values_.find(key);
  SSL_CHECK(it != values_.end(), context_, ": no configuration key '", key,
            "' (is it declared in the component's schema?)");
  return it->second;
}

namespace {
template <class T>
const T& typed(const Config& c, const Value& v, const std::string& key, ValueType want) {
  SSL_CHECK(std::holds_alternative<T>(v), c.context(), ": key '", key, "' holds a ",
            type_name(type_of(v)), ", not a ", type_name(want));
  return std::get<T>(v);
}
}  // namespace

bool Config::get_bool(const std::string& key) const {
  return typed<bool>(*this, at(key), key, ValueType::Bool);
}
int64_t Config::get_int(const std::string& key) const {
  return typed<int64_t>(*this, at(key), key, ValueType::Int);
}
double Config::get_float(const std::string& key) const {
  const Value& v = at(key);
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return typed<double>(*this, v, key, ValueType::Float);
}
const std::string& Config::get_string(const std::string& key) const {
  return typed<std::string>(*this, at(key), key, ValueType::String);
}
std::vector<int64_t> Config::get_int_list(const std::string& key) const {
  return typed<std::vector<int64_t>>(*this, at(key), key, ValueType::IntList);
}
std::vector<double> Config::get_float_list(const std::string& key) const {
  const Value& v = at(key);
  if (auto* i = std::get_if<std::vector<int64_t>>(&v)) return {i->begin(), i->end()};
  return typed<std::vector<double>>(*this, v, key, ValueType::FloatList);
}
std::vector<std::string> Config::get_string_list(const std::string& key) const {
  return typed<std::vector<std::string>>(*this, at(key), key, ValueType::StringList);
}

}  // namespace ssl::sdk
