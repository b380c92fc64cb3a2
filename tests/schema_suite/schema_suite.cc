// Runs JSON-Schema-Test-Suite files (https://github.com/json-schema-org/JSON-Schema-Test-Suite,
// Debian's json-schema-test-suite) through engine::CompiledSchema and prints
// pass/fail counts per file and in total.
//
//   schema_suite --dialect <draft4|draft7|2020-12> --floor <0..1> <dir or file>...
//
// Schemas without "$schema" get the dialect's. A directory's optional/ and
// refRemote.json (remote references need a server) are skipped. Exit status:
// 0 when the pass rate is at or above the floor, 1 below it, 77 (ctest's
// SKIP_RETURN_CODE) when no path exists.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/schema.h"
#include "mcpx/json.h"

namespace fs = std::filesystem;
using mcpx::json::value;

namespace {

struct Counts {
  int passed = 0;
  int total = 0;
};

bool verbose = false;

Counts RunFile(const fs::path& file, const std::string& schema_uri) {
  Counts c;
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const value doc = mcpx::json::parse(text.str(), ec);
  if (ec || !doc.is_array()) {
    std::cerr << file << ": not a test file\n";
    return c;
  }
  for (const auto& group : doc.get_array()) {
    const auto& g = group.get_object();
    mcpx::json::object schema;
    if (g.at("schema").is_object()) {
      schema = g.at("schema").get_object();
    } else {
      schema["allOf"] = mcpx::json::array{g.at("schema")};  // a boolean schema
    }
    if (!schema.contains("$schema")) schema["$schema"] = schema_uri;
    std::string error;
    const auto compiled = mcpx::engine::CompiledSchema::Compile(schema, &error);
    for (const auto& t : g.at("tests").get_array()) {
      const auto& test = t.get_object();
      ++c.total;
      const bool expected = test.at("valid").as_bool();
      std::string message = compiled ? compiled->Validate(test.at("data")) : "compile: " + error;
      const bool ok = compiled && message.empty() == expected;
      if (ok) {
        ++c.passed;
      } else if (verbose) {
        std::cout << "  FAIL " << file.filename().string() << " | " << g.at("description").as_string() << " | "
                  << test.at("description").as_string() << " | expected " << (expected ? "valid" : "invalid")
                  << (message.empty() ? "" : " | " + message) << "\n";
      }
    }
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dialect = "draft7";
  double floor = 0;
  std::vector<fs::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dialect" && i + 1 < argc) {
      dialect = argv[++i];
    } else if (a == "--floor" && i + 1 < argc) {
      floor = std::atof(argv[++i]);
    } else if (a == "-v") {
      verbose = true;
    } else {
      paths.emplace_back(a);
    }
  }
  std::string uri = "https://json-schema.org/draft/2020-12/schema";
  if (dialect == "draft4") uri = "http://json-schema.org/draft-04/schema#";
  if (dialect == "draft7") uri = "http://json-schema.org/draft-07/schema#";

  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& entry : fs::directory_iterator(p)) {
        const auto name = entry.path().filename().string();
        if (entry.is_regular_file() && entry.path().extension() == ".json" && name != "refRemote.json") {
          files.push_back(entry.path());
        }
      }
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    }
  }
  if (files.empty()) {
    std::cout << "schema_suite: no test files found, skipped\n";
    return 77;
  }
  std::sort(files.begin(), files.end());
  Counts all;
  for (const auto& f : files) {
    const Counts c = RunFile(f, uri);
    all.passed += c.passed;
    all.total += c.total;
    std::printf("%-28s %4d/%-4d%s\n", f.filename().string().c_str(), c.passed, c.total,
                c.passed == c.total ? "" : "  <");
  }
  const double rate = all.total ? static_cast<double>(all.passed) / all.total : 0;
  std::printf("total (%s) %d/%d = %.4f, floor %.4f\n", dialect.c_str(), all.passed, all.total, rate, floor);
  return rate >= floor ? 0 : 1;
}
