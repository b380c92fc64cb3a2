#include "engine/uri_template.h"

#include <optional>

#include "absl/container/inlined_vector.h"

namespace mcpx::engine {
namespace {

// One piece of a parsed template: literal text, or a variable.
struct Piece {
  enum Kind { kLiteral, kSimple, kReserved } kind;
  std::string_view text;  // the literal, or the variable's name
};

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

// The template's pieces, or nullopt with `*error` set.
// Inline storage: matching a resources/read against a template allocates no
// list of pieces.
using Pieces = absl::InlinedVector<Piece, 8>;

std::optional<Pieces> Parse(std::string_view tpl, std::string* error) {
  Pieces pieces;
  std::size_t i = 0;
  bool after_reserved = false;
  while (i < tpl.size()) {
    if (tpl[i] == '}') {
      *error = "a '}' at offset " + std::to_string(i) + " closes no expression";
      return std::nullopt;
    }
    if (tpl[i] != '{') {
      const std::size_t next = tpl.find_first_of("{}", i);
      const std::size_t end = next == std::string_view::npos ? tpl.size() : next;
      pieces.push_back({Piece::kLiteral, tpl.substr(i, end - i)});
      i = end;
      continue;
    }
    const std::size_t close = tpl.find('}', i);
    if (close == std::string_view::npos) {
      *error = "the expression at offset " + std::to_string(i) + " has no closing '}'";
      return std::nullopt;
    }
    std::string_view name = tpl.substr(i + 1, close - i - 1);
    Piece::Kind kind = Piece::kSimple;
    if (!name.empty() && name.front() == '+') {
      kind = Piece::kReserved;
      name.remove_prefix(1);
    } else if (!name.empty() && std::string_view("#./;?&=,!@|").find(name.front()) != std::string_view::npos) {
      *error = "the operator '" + std::string(1, name.front()) + "' of {" + std::string(name) +
               "} is not supported (only {name} and {+name})";
      return std::nullopt;
    }
    if (name.empty()) {
      *error = "an expression at offset " + std::to_string(i) + " names no variable";
      return std::nullopt;
    }
    for (char c : name) {
      if (!IsNameChar(c)) {
        *error = "the variable name '" + std::string(name) + "' may hold only letters, digits, '_' and '.'";
        return std::nullopt;
      }
    }
    if (after_reserved) {
      *error = "{" + std::string(name) + "} follows a {+...} expression, which only literal text may follow";
      return std::nullopt;
    }
    if (!pieces.empty() && pieces.back().kind != Piece::kLiteral) {
      *error = "{" + std::string(name) + "} directly follows another expression, so where one ends is ambiguous";
      return std::nullopt;
    }
    after_reserved = kind == Piece::kReserved;
    pieces.push_back({kind, name});
    i = close + 1;
  }
  return pieces;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `raw` percent-decoded; nullopt when a '%' does not start a valid triplet.
std::optional<std::string> Decode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out.push_back(raw[i]);
      continue;
    }
    if (i + 2 >= raw.size()) return std::nullopt;
    const int hi = HexDigit(raw[i + 1]);
    const int lo = HexDigit(raw[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace

std::string CheckUriTemplate(std::string_view tpl) {
  std::string error;
  if (tpl.empty()) return "the template is empty";
  Parse(tpl, &error);
  return error;
}

bool MatchUriTemplate(std::string_view tpl, std::string_view uri, std::map<std::string, std::string>& vars) {
  std::string error;
  const auto pieces = Parse(tpl, &error);
  if (!pieces) return false;
  std::map<std::string, std::string> found;
  std::size_t u = 0;
  for (std::size_t p = 0; p < pieces->size(); ++p) {
    const Piece& piece = (*pieces)[p];
    if (piece.kind == Piece::kLiteral) {
      if (uri.substr(u, piece.text.size()) != piece.text) return false;
      u += piece.text.size();
      continue;
    }
    std::size_t end = u;
    if (piece.kind == Piece::kReserved) {
      // Only literal text follows (Parse saw to it): the value is what
      // precedes that text at the URI's end.
      const std::string_view rest = p + 1 < pieces->size() ? (*pieces)[p + 1].text : std::string_view();
      if (uri.size() < u + rest.size()) return false;
      end = uri.size() - rest.size();
    } else {
      const char stop = p + 1 < pieces->size() ? (*pieces)[p + 1].text.front() : '\0';
      while (end < uri.size() && uri[end] != '/' && (stop == '\0' || uri[end] != stop)) ++end;
    }
    if (end == u) return false;
    auto value = Decode(uri.substr(u, end - u));
    if (!value) return false;
    // A variable has one value (RFC 6570): a name used twice must match the
    // same text both times (found by fuzz_uri_template).
    const auto [it, inserted] = found.try_emplace(std::string(piece.text), std::move(*value));
    if (!inserted && it->second != *value) return false;
    u = end;
  }
  if (u != uri.size()) return false;
  vars = std::move(found);
  return true;
}

}  // namespace mcpx::engine
