// Small state files that must survive kill -9 and power loss whole or not at all: written to
// "<path>.tmp", fsynced, renamed over <path> (rename(2) is atomic), then the directory fsynced
// so the rename itself is durable. A reader sees either the old or the new content, never a mix.
#pragma once

#include <string>
#include <string_view>

#include "rules/base/result.h"

namespace portcullis::audit {

Status write_file_atomic(const std::string& path, std::string_view data);
// The whole file; an error when it cannot be read, an empty string when it does not exist.
Result<std::string> read_small_file(const std::string& path, size_t max_bytes);

}  // namespace portcullis::audit
