#pragma once
// What every rank of a multi-process run must share, compared before anything is trained or
// written: the resolved pipeline (after --set), the plugins (name, version, a checksum of the
// file) and how the run starts. A mismatch stops every rank with the same message, naming the
// first rank that differs from rank 0 and where.
#include <string>

#include "dist/process_group.h"
#include "registry.h"

namespace ssl::host {

// One line per loaded plugin: "name version crc32-of-file" (static twins: "<static>").
std::string plugin_identity(const Registry& registry);

void check_same_run(ProcessGroupComm& comm, const std::string& what, const std::string& mine);

}  // namespace ssl::host
