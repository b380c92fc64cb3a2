#include "common/config_file.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace mcpx::apps {
namespace {

std::string Where(const std::string& path, const toml::source_region& source) {
  return path + ":" + std::to_string(source.begin.line);
}

// The option's value(s) as CLI11 takes them from a command line.
bool ToStrings(const toml::node& node, std::vector<std::string>& out) {
  if (const auto* array = node.as_array()) {
    for (const toml::node& item : *array) {
      if (item.is_array() || item.is_table() || !ToStrings(item, out)) return false;
    }
    return true;
  }
  if (auto s = node.value<std::string>()) {
    out.push_back(*s);
  } else if (auto b = node.value_exact<bool>()) {
    out.push_back(*b ? "true" : "false");
  } else if (auto i = node.value_exact<std::int64_t>()) {
    out.push_back(std::to_string(*i));
  } else if (auto d = node.value_exact<double>()) {
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *d);
    out.emplace_back(buffer, ec == std::errc() ? end : buffer);
  } else {
    return false;  // dates and times: no option takes one
  }
  return true;
}

bool Apply(CLI::App& app, const std::string& path, const toml::table& table, std::string* error) {
  for (const auto& [key, node] : table) {
    if (const toml::table* group = node.as_table()) {
      if (!Apply(app, path, *group, error)) return false;
      continue;
    }
    std::string name(key.str());
    std::replace(name.begin(), name.end(), '_', '-');
    CLI::Option* option = name == "config" ? nullptr : app.get_option_no_throw("--" + name);
    if (option == nullptr) {
      *error = Where(path, node.source()) + ": unknown key '" + std::string(key.str()) +
               "' (the keys are the long options of --help, without the dashes)";
      return false;
    }
    if (option->count() > 0) continue;  // the command line wins
    std::vector<std::string> values;
    if (!ToStrings(node, values)) {
      *error = Where(path, node.source()) + ": key '" + std::string(key.str()) +
               "' takes a string, a number, a boolean or an array of those";
      return false;
    }
    try {
      for (const std::string& value : values) option->add_result(value);
      option->run_callback();
    } catch (const CLI::Error& e) {
      *error = Where(path, node.source()) + ": key '" + std::string(key.str()) + "': " + e.what();
      return false;
    }
  }
  return true;
}

}  // namespace

CLI::Option* AddConfigFlag(CLI::App& app, std::string& path) {
  return app.add_option("--config", path,
                        "TOML file of settings: each key is one of these options without the dashes "
                        "([tables] only group them); the command line wins over the file");
}

bool ApplyConfigFile(CLI::App& app, const std::string& path, std::string* error) {
  // Debian's toml++ is built with exceptions: a parse error is one, caught
  // here (the file is the operator's, read once at start).
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    *error = path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description());
    return false;
  }
  return Apply(app, path, table, error);
}

}  // namespace mcpx::apps
