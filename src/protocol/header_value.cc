#include "protocol/header_value.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace mcpx::protocol {
namespace {

constexpr std::string_view kPrefix = "=?base64?";
constexpr std::string_view kSuffix = "?=";

int Sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// RFC 4648 section 4, strictly: length a multiple of 4, '=' only as the last
// one or two characters, and the bits padding covers all zero.
std::optional<std::string> DecodeBase64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = in.size() >= 2 && in[in.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    const std::size_t data_chars = last ? 4 - pad : 4;
    std::uint32_t bits = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      int v = 0;
      if (k < data_chars) {
        v = Sextet(in[i + k]);
        if (v < 0) return std::nullopt;
      } else if (in[i + k] != '=') {
        return std::nullopt;
      }
      bits = bits << 6 | static_cast<std::uint32_t>(v);
    }
    if (pad == 2 && last && (bits & 0xffff) != 0) return std::nullopt;
    if (pad == 1 && last && (bits & 0xff) != 0) return std::nullopt;
    out.push_back(static_cast<char>(bits >> 16));
    if (data_chars >= 3) out.push_back(static_cast<char>(bits >> 8 & 0xff));
    if (data_chars == 4) out.push_back(static_cast<char>(bits & 0xff));
  }
  return out;
}

}  // namespace

std::optional<std::string> DecodeHeaderValue(std::string_view value) {
  if (value.size() >= kPrefix.size() + kSuffix.size() && value.starts_with(kPrefix) && value.ends_with(kSuffix)) {
    return DecodeBase64(value.substr(kPrefix.size(), value.size() - kPrefix.size() - kSuffix.size()));
  }
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u != '\t' && (u < 0x20 || u > 0x7e)) return std::nullopt;
  }
  return std::string(value);
}

bool HeaderMatchesJson(std::string_view header, const json::value& body) {
  if (body.is_string()) return header == std::string_view(body.get_string());
  if (body.is_bool()) return header == (body.get_bool() ? "true" : "false");
  // Integers compare numerically ("42.0" is 42), exactly: a header is read as
  // an integer when it is one, and as a double only where doubles are exact.
  if (body.is_int64() || body.is_uint64()) {
    const char* end = header.data() + header.size();
    if (body.is_int64()) {
      std::int64_t h = 0;
      auto [ptr, ec] = std::from_chars(header.data(), end, h);
      if (ec == std::errc() && ptr == end) return h == body.get_int64();
    } else {
      std::uint64_t h = 0;
      auto [ptr, ec] = std::from_chars(header.data(), end, h);
      if (ec == std::errc() && ptr == end) return h == body.get_uint64();
    }
  }
  if (body.is_number()) {
    constexpr double kExact = 9007199254740992.0;  // 2^53
    const double b = body.to_number<double>();
    if (std::trunc(b) != b || std::fabs(b) > kExact) return false;  // only integers are mirrored
    double h = 0;
    auto [ptr, ec] = std::from_chars(header.data(), header.data() + header.size(), h);
    return ec == std::errc() && ptr == header.data() + header.size() && std::isfinite(h) && h == b;
  }
  return false;
}

}  // namespace mcpx::protocol
