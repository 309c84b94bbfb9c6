#pragma once
// Typed configuration values. No TOML type ever crosses into a plugin: the host converts
// parsed TOML into these after validation.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ssl/sdk/export.h"

namespace ssl::sdk {

enum class ValueType : int { Bool, Int, Float, String, IntList, FloatList, StringList };

using Value = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>,
                           std::vector<double>, std::vector<std::string>>;

SSL_SDK_API const char* type_name(ValueType type);  // "bool", "int", "float", "string", "int list", ...
SSL_SDK_API ValueType type_of(const Value& value);
// TOML literal syntax: true, 3, 0.2, "bicubic", [0.2, 1.0], ["a", "b"].
SSL_SDK_API std::string format_value(const Value& value);
// Converts `value` to `type` where that loses nothing (int -> float, int list -> float list,
// empty list -> any list). Returns false (and leaves `out` untouched) otherwise.
SSL_SDK_API bool coerce_value(const Value& value, ValueType type, Value& out);

}  // namespace ssl::sdk
