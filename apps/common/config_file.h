// `--config FILE`: settings from a TOML file for the options of a CLI11 app.
// Each key is an option's long name without the dashes ("ip-rate", or
// "ip_rate"); tables only group keys ([guards] ip-rate = 100 is ip-rate =
// 100). Options given on the command line win over the file. An unknown
// key, a value of the wrong kind or one the option refuses stops the
// program at start with the file, line and key named.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace mcpx::apps {

// Adds `--config` to `app`; after parsing, call ApplyConfigFile.
CLI::Option* AddConfigFlag(CLI::App& app, std::string& path);

// Applies the file at `path` to the options of `app` that the command line
// did not set. False with `*error` ("mcpx.toml:12: unknown key 'ip_rat' ...")
// when it cannot.
bool ApplyConfigFile(CLI::App& app, const std::string& path, std::string* error);

}  // namespace mcpx::apps
