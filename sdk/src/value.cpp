#include "ssl/sdk/value.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <iomanip>
#include <sstream>

namespace ssl::sdk {

const char* type_name(ValueType type) {
  switch (type) {
    case ValueType::Bool: return "bool";
    case ValueType::Int: return "int";
    case ValueType::Float: return "float";
    case ValueType::String: return "string";
    case ValueType::IntList: return "list of int";
    case ValueType::FloatList: return "list of float";
    case ValueType::StringList: return "list of string";
  }
  return "?";
}

ValueType type_of(const Value& value) { return static_cast<ValueType>(value.index()); }

namespace {
// A TOML basic string: quotes, backslashes and control characters escaped (a raw control
// character would make the written file unreadable as TOML).
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char esc[8];
          std::snprintf(esc, sizeof(esc), "\\u%04X", u);
          out += esc;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // Ten significant digits read best (0.0001, 0.3333333333); more where ten would not read
  // back as the same double: a recorded pipeline must be the pipeline that ran.
  std::ostringstream out;
  out << std::setprecision(10) << v;
  std::string s = out.str();
  if (std::strtod(s.c_str(), nullptr) != v) {
    out.str("");
    out << std::setprecision(std::numeric_limits<double>::max_digits10) << v;
    s = out.str();
  }
  // Keep it a TOML float: 1 -> 1.0, 1e-05 stays.
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

template <class T, class F>
std::string format_list(const std::vector<T>& items, F&& format) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + format(items[i]);
  return out + "]";
}
}  // namespace

std::string format_value(const Value& value) {
  switch (type_of(value)) {
    case ValueType::Bool: return std::get<bool>(value) ? "true" : "false";
    case ValueType::Int: return std::to_string(std::get<int64_t>(value));
    case ValueType::Float: return format_double(std::get<double>(value));
    case ValueType::String: return quote(std::get<std::string>(value));
    case ValueType::IntList:
      return format_list(std::get<std::vector<int64_t>>(value), [](int64_t v) { return std::to_string(v); });
    case ValueType::FloatList:
      return format_list(std::get<std::vector<double>>(value), format_double);
    case ValueType::StringList:
      return format_list(std::get<std::vector<std::string>>(value), quote);
  }
  return "?";
}

bool coerce_value(const Value& value, ValueType type, Value& out) {
  const ValueType have = type_of(value);
  if (have == type) { out = value; return true; }
  if (have == ValueType::Int && type == ValueType::Float) {
    out = static_cast<double>(std::get<int64_t>(value));
    return true;
  }
  if (have == ValueType::IntList && type == ValueType::FloatList) {
    const auto& v = std::get<std::vector<int64_t>>(value);
    out = std::vector<double>(v.begin(), v.end());
    return true;
  }
  // An empty list parses as whatever list type; it fits any list.
  auto empty_list = [&] {
    return (have == ValueType::IntList && std::get<std::vector<int64_t>>(value).empty()) ||
           (have == ValueType::FloatList && std::get<std::vector<double>>(value).empty()) ||
           (have == ValueType::StringList && std::get<std::vector<std::string>>(value).empty());
  };
  if (empty_list()) {
    if (type == ValueType::IntList) { out = std::vector<int64_t>{}; return true; }
    if (type == ValueType::FloatList) { out = std::vector<double>{}; return true; }
    if (type == ValueType::StringList) { out = std::vector<std::string>{}; return true; }
  }
  return false;
}

}  // namespace ssl::sdk
