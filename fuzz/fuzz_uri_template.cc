// engine::MatchUriTemplate with a template and a URI split from the input at
// its first NUL byte (no NUL: the input is both). It must never crash; it
// leaves the variables alone when it does not match; a match binds non-empty
// values; and for a simple template ({name} expressions only) and a URI
// without percent-escapes, the values hold no '/' and substituted back give
// the URI (a name used twice has one value).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/uri_template.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view tpl, std::string_view uri) {
  std::fprintf(stderr, "fuzz_uri_template: %s\ntemplate: %.*s\nuri: %.*s\n", what,
               static_cast<int>(tpl.size()), tpl.data(), static_cast<int>(uri.size()), uri.data());
  __builtin_trap();
}

bool IsVarChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The template's pieces: literals and variable names; nullopt unless every
// expression is a plain {name} and no '}' stands alone.
struct Piece {
  bool variable;
  std::string text;
};
std::optional<std::vector<Piece>> SimpleTemplate(std::string_view tpl) {
  std::vector<Piece> pieces;
  std::size_t i = 0;
  while (i < tpl.size()) {
    if (tpl[i] == '}') return std::nullopt;
    if (tpl[i] != '{') {
      if (pieces.empty() || pieces.back().variable) pieces.push_back({false, ""});
      pieces.back().text.push_back(tpl[i++]);
      continue;
    }
    const std::size_t close = tpl.find('}', i);
    if (close == std::string_view::npos) return std::nullopt;
    std::string name(tpl.substr(i + 1, close - i - 1));
    if (name.empty()) return std::nullopt;
    for (char c : name) {
      if (!IsVarChar(c)) return std::nullopt;
    }
    pieces.push_back({true, std::move(name)});
    i = close + 1;
  }
  return pieces;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view tpl = input.substr(0, nul);
  const std::string_view uri = nul == std::string_view::npos ? input : input.substr(nul + 1);

  // No variable can be named "}sentinel": a name ends at the first '}'.
  std::map<std::string, std::string> vars{{"}sentinel", "untouched"}};
  const bool matched = mcpx::engine::MatchUriTemplate(tpl, uri, vars);
  if (!matched) {
    if (vars.size() != 1 || vars.begin()->second != "untouched") Fail("vars changed without a match", tpl, uri);
    // A literal template (no expression, no stray '}', which CheckUriTemplate refuses) matches itself.
    if (tpl.find_first_of("{}") == std::string_view::npos && !tpl.empty() && tpl == uri) {
      Fail("literal template does not match itself", tpl, uri);
    }
    return 0;
  }
  if (vars.count("}sentinel") != 0) Fail("a match kept stale variables", tpl, uri);
  for (const auto& [name, value] : vars) {
    if (value.empty()) Fail("empty variable value", tpl, uri);
  }
  if (tpl.find('{') == std::string_view::npos && tpl != uri) Fail("literal template matched another uri", tpl, uri);

  const auto pieces = SimpleTemplate(tpl);
  if (!pieces) return 0;
  // Simple expressions never span '/' unless it came percent-encoded, and
  // without any '%' in the URI nothing was decoded.
  if (uri.find('%') != std::string_view::npos) return 0;
  for (const auto& [name, value] : vars) {
    if (value.find('/') != std::string::npos) Fail("variable value spans '/'", tpl, uri);
  }
  std::string expanded;
  std::set<std::string> names;
  for (const Piece& p : *pieces) {
    if (!p.variable) {
      expanded += p.text;
      continue;
    }
    names.insert(p.text);
    const auto it = vars.find(p.text);
    if (it == vars.end()) Fail("a template variable is not bound", tpl, uri);
    expanded += it->second;
  }
  if (vars.size() != names.size()) Fail("variables bound that the template does not name", tpl, uri);
  if (expanded != uri) Fail("substituting the variables does not give the uri", tpl, uri);
  return 0;
}
