// A small blocking HTTP/1.1 client for tests: raw bytes in, the response (or
// the SSE text read so far) out. Loopback only.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "mcpx/json.h"

namespace mcpx::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  json::value json() const { return json::parse(body); }
};

class HttpClient {
 public:
  // `source`: the local address to connect from (another loopback address,
  // such as 127.0.0.2, is another client address to the server).
  explicit HttpClient(unsigned short port, std::string source = {})
      : port_(port), source_(std::move(source)), socket_(io_) {
    Connect();
  }

  void Connect() {
    boost::system::error_code ec;
    socket_.close(ec);
    socket_ = boost::asio::ip::tcp::socket(io_);
    if (!source_.empty()) {
      socket_.open(boost::asio::ip::tcp::v4());
      socket_.bind({boost::asio::ip::make_address(source_), 0});
    }
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    buffer_.clear();
  }

  // Sends raw bytes (any request, well-formed or not).
  // A server that refuses early (413) may close before all bytes are sent;
  // the response is still there to read.
  void SendRaw(const std::string& bytes) {
    boost::system::error_code ec;
    boost::asio::write(socket_, boost::asio::buffer(bytes), ec);
  }

  // Reads one complete response.
  HttpResponse Read() { return ReadResponse(socket_, buffer_); }

  // One complete response from `stream` (any Beast sync read stream).
  template <class SyncReadStream>
  static HttpResponse ReadResponse(SyncReadStream& stream, boost::beast::flat_buffer& buffer) {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream, buffer, parser);
    HttpResponse out;
    auto msg = parser.release();
    out.status = msg.result_int();
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    out.body = std::move(msg.body());
    return out;
  }

  HttpResponse Request(const std::string& method, const std::string& target, const std::string& body,
                       const std::map<std::string, std::string>& headers) {
    SendRaw(Build(method, target, body, headers));
    return Read();
  }

  // Sends a request and reads raw bytes until `needle` appears or `timeout`.
  std::string RequestUntil(const std::string& method, const std::string& body,
                           const std::map<std::string, std::string>& headers, const std::string& needle,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    SendRaw(Build(method, "/mcp", body, headers));
    return ReadUntil(needle, timeout);
  }

  std::string ReadUntil(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string text = boost::beast::buffers_to_string(buffer_.data());
    buffer_.clear();
    socket_.non_blocking(true);
    char buf[4096];
    while (text.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
      if (ec == boost::asio::error::would_block) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      if (ec) break;
      text.append(buf, n);
    }
    socket_.non_blocking(false);
    return text;
  }

  void Close() {
    boost::system::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  static std::string Build(const std::string& method, const std::string& target, const std::string& body,
                           const std::map<std::string, std::string>& headers) {
    std::string req = method + " " + target + " HTTP/1.1\r\n";
    if (!headers.count("Host")) req += "Host: 127.0.0.1\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    if (method == "POST" || !body.empty()) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    return req;
  }

 private:
  unsigned short port_;
  std::string source_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace mcpx::testing
