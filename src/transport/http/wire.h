// How responses are written on the wire: status lines, headers and chunks
// appended by hand to reused buffers (no per-response allocation beyond them).
// Shared by the connection's plain and SSE responses.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>

#include "transport/http/request_checks.h"

namespace mcpx::transport::http::wire {

inline std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline void AppendNumber(std::string& out, std::size_t n) {
  char digits[24];
  out.append(digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, n).ptr - digits));
}

// A response head is AppendStatusLine, "Name: value\r\n" lines, EndHead.
inline void AppendStatusLine(std::string& out, boost::beast::http::status st) {
  out.append("HTTP/1.1 ");
  AppendNumber(out, static_cast<unsigned>(st));
  out.append(" ").append(boost::beast::http::obsolete_reason(st)).append("\r\n");
}

inline void AppendSessionHeader(std::string& out, std::string_view id) {
  out.append(kSessionHeader).append(": ").append(id).append("\r\n");
}

// Keep-alive is HTTP/1.1's default: only its absence is said.
inline void EndHead(std::string& out, bool keep_alive) {
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
}

inline void AppendChunkSize(std::string& out, std::size_t size) {
  char digits[20];
  const auto end = std::to_chars(digits, digits + sizeof digits, size, 16).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits)).append("\r\n");
}

inline std::string Chunk(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 20);
  AppendChunkSize(out, data.size());
  out.append(data).append("\r\n");
  return out;
}

}  // namespace mcpx::transport::http::wire
