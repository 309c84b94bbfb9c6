#pragma once
// The component reference: the pipeline sections the host owns and every loaded component
// with its keys, as `ssl-host describe` prints it (text tables) and as Markdown
// (`ssl-host describe --markdown`, committed as docs/components.md). The Markdown is
// deterministic: components in `list` order, keys in schema order, no paths, dates or
// machine details, so the committed file changes only when a schema or a doc line does.
#include <string>
#include <vector>

#include "registry.h"
#include "ssl/sdk/schema.h"
#include "ssl/sdk/types.h"

namespace ssl::host {

// One pipeline section owned by the host, e.g. {"[optimizer]", "", "", &optimizer_schema()}.
struct HostSection {
  std::string title;  // "(top level)", "[data]", "[data.train] / [data.test]", "[[views]]", ...
  std::string scope;  // which tables it applies to when they are many ("every dataset"), or ""
  std::string note;   // one short remark, or ""
  const sdk::Schema* schema = nullptr;
};

// The host's sections in the order `describe pipeline` shows them.
const std::vector<HostSection>& host_sections();

// The table header of a component of `kind` in a pipeline: "[data.train]", "[[views.ops]]", ...
std::string pipeline_table_of(sdk::Kind kind);

// A Markdown table of a schema's keys: key, type, default, range / choices, doc.
std::string markdown_key_table(const sdk::Schema& schema);

// For a method that declares uses_labels() or uses_target_domain() with its defaults: the
// sentence saying what it asks of the data; else "".
std::string data_note(const ComponentEntry& entry);
// The Markdown of one component: heading, doc line, plugin, where it goes, its keys.
std::string markdown_component(const ComponentEntry& entry);

// The Markdown of the host's sections (`describe pipeline --markdown`).
std::string markdown_host_sections();

// The whole reference: a contents list, the host's sections, then every kind with every
// component of `registry`.
std::string markdown_reference(const Registry& registry);

// GitHub's anchor for a heading: lower case, punctuation other than '-' and '_' dropped,
// spaces as '-'. "`method/simclr`" -> "methodsimclr".
std::string markdown_anchor(const std::string& heading);

}  // namespace ssl::host
