#pragma once
// The pipeline document as a tree of typed values with source positions: TOML files with
// their includes merged (later wins) and --set overrides applied. Only config_tree.cpp
// includes toml++; nothing else in the project sees a TOML type.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "diagnostics.h"
#include "ssl/sdk/value.h"

namespace ssl::host {

struct Node {
  enum class Type { Value, Table, TableArray };
  Type type = Type::Table;
  sdk::Value value;                   // Type::Value
  std::optional<std::string> raw;     // --set text, typed later by the schema
  std::vector<std::pair<std::string, Node>> table;  // Type::Table, in source order
  std::vector<Node> array;            // Type::TableArray
  SourcePos pos;

  Node* find(const std::string& key);
  const Node* find(const std::string& key) const;
  Node& set(const std::string& key, Node node);  // replaces or appends
  bool is_table() const { return type == Type::Table; }
};

// Loads `path` with its `include = [...]` fragments (paths relative to the including file;
// included first, in order, then the file itself on top; tables merge, everything else is
// replaced). Throws ConfigError with positions (syntax errors, include cycles, missing files).
Node load_document(const std::filesystem::path& path);

// Parses "a.b.c=value" and applies it. The value keeps its text in Node::raw so the schema
// decides its type ("--set backbone.type=resnet18" needs no quotes).
void apply_override(Node& root, const std::string& assignment);

// Best-effort typed reading of a --set text without a schema (TOML literal, else string).
sdk::Value parse_raw_value(const std::string& text);
// Reads a --set text as the given type, or returns nullopt.
std::optional<sdk::Value> parse_raw_as(const std::string& text, sdk::ValueType type);

}  // namespace ssl::host
