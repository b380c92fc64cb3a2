// The HTTP request parser without sockets: framing limits, what is kept, and
// the hostile inputs that once crashed or bloated the server.
#include "transport/http/request_parser.h"

#include <gtest/gtest.h>

#include <string>

#include <boost/beast/http/error.hpp>

namespace mcpx::transport::http {
namespace {

namespace beast_http = boost::beast::http;

struct Outcome {
  boost::beast::error_code ec;
  RequestRefusal refusal = RequestRefusal::kNone;
  bool done = false;
};

// Feeds `bytes` the way the connection does (whole buffer, repeatedly).
Outcome Parse(const std::string& bytes, Request& request, RequestLimits limits = {}) {
  RequestParser parser(request, limits);
  Outcome out;
  std::string_view rest = bytes;
  while (!parser.is_done() && !rest.empty()) {
    const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), out.ec);
    rest.remove_prefix(used);
    if (out.ec || used == 0) break;
  }
  if (out.ec == beast_http::error::need_more) out.ec = {};
  out.refusal = parser.refusal();
  out.done = parser.is_done();
  return out;
}

TEST(RequestParser, KeepsMethodTargetTheTransportsHeadersAndBody) {
  Request r;
  const auto out = Parse(
      "POST /mcp?x=1 HTTP/1.1\r\nHost: localhost:1\r\nX-Ignored: 1\r\nMcp-Session-Id: s\r\n"
      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
      r);
  ASSERT_TRUE(out.done) << out.ec.message();
  EXPECT_EQ(r.method, beast_http::verb::post);
  EXPECT_EQ(r.target, "/mcp?x=1");
  EXPECT_EQ(r.headers.host, "localhost:1");
  EXPECT_EQ(r.headers.session_id, "s");
  EXPECT_EQ(r.body, "{}");
  EXPECT_TRUE(r.keep_alive);
}

TEST(RequestParser, ChunkedBodyIsJoinedAndTrailersAreNotKept) {
  Request r;
  const auto out = Parse(
      "POST /mcp HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\nX-Trailer: t\r\nHost: other\r\n\r\n",
      r);
  ASSERT_TRUE(out.done) << out.ec.message();
  EXPECT_EQ(r.body, R"({"a":1})");
  EXPECT_EQ(r.headers.host, "h");  // a trailer never overrides a header
}

// The crash of issue 8: a trailer field over 65,533 bytes made Beast's own
// parser throw std::length_error out of the I/O thread. Nothing is stored for
// a trailer here, so any size only costs what the read buffer bounds.
TEST(RequestParser, HugeTrailerFieldIsAnErrorCodeOrIgnoredNeverAThrow) {
  Request r;
  const std::string trailer(70000, 'a');
  Outcome out;
  EXPECT_NO_THROW(out = Parse("POST /mcp HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "1\r\nx\r\n0\r\nX-Big: " + trailer + "\r\n\r\n",
                              r));
  EXPECT_TRUE(out.done || out.ec);
}

TEST(RequestParser, FieldsAreCountedHeaderAndTrailerTogether) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 99; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
  Request r;
  EXPECT_TRUE(Parse(head + "\r\n", r).done);  // 100 fields: the limit

  Request r2;
  const auto out = Parse(head + "X-Last: v\r\n\r\n", r2);
  EXPECT_EQ(out.ec, beast_http::error::header_limit);
  EXPECT_EQ(out.refusal, RequestRefusal::kTooManyFields);

  std::string chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n";
  for (int i = 0; i < 99; ++i) chunked += "T-" + std::to_string(i) + ": v\r\n";
  Request r3;
  const auto trailers = Parse(chunked + "\r\n", r3);
  EXPECT_EQ(trailers.refusal, RequestRefusal::kTooManyFields);
}

TEST(RequestParser, DuplicateHostIsRefused) {
  Request r;
  const auto out = Parse("GET /mcp HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", r);
  EXPECT_TRUE(out.ec);
  EXPECT_EQ(out.refusal, RequestRefusal::kDuplicateField);
}

TEST(RequestParser, ExpectContinueIsSeenOnceTheHeaderIsDone) {
  Request r;
  RequestParser parser(r, {});
  boost::beast::error_code ec;
  const std::string head =
      "POST /mcp HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
  parser.put(boost::asio::buffer(head), ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parser.is_header_done());
  EXPECT_FALSE(parser.is_done());
  EXPECT_TRUE(r.headers.expect_continue);
}

TEST(RequestParser, BodyLimitAndNothingReservedFromContentLength) {
  Request r;
  const auto out = Parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\nabc", r, {.max_body_bytes = 4096});
  EXPECT_EQ(out.ec, beast_http::error::body_limit);

  // 4 MiB announced, 3 bytes sent: only what arrived is held.
  Request r2;
  const auto partial = Parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4000000\r\n\r\nabc", r2);
  EXPECT_FALSE(partial.ec);
  EXPECT_FALSE(partial.done);
  EXPECT_LT(r2.body.capacity(), 1024u);
}

TEST(RequestParser, BodyIsChargedToTheBudgetAndRefusedPastIt) {
  ByteBudget budget(64 << 10);
  Request r;
  r.body_lease = ByteLease(&budget);
  const std::string small(1000, 'x');
  ASSERT_TRUE(Parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n" + small, r).done);
  EXPECT_GE(budget.used(), 1000u);
  r.ReleaseBody();
  EXPECT_EQ(budget.used(), r.body.capacity());

  const std::string big(100 << 10, 'x');
  const auto out = Parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 102400\r\n\r\n" + big, r);
  EXPECT_EQ(out.refusal, RequestRefusal::kOverloaded);
  EXPECT_EQ(budget.refusals(), 1u);
  r.Clear();
  EXPECT_EQ(budget.used(), r.body.capacity());
}

TEST(RequestParser, ClearFreesLargeBuffersKeepsSmallOnes) {
  ByteBudget budget(8 << 20);
  Request r;
  r.body_lease = ByteLease(&budget);
  const std::string big(1 << 20, 'x');
  ASSERT_TRUE(Parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n" + big, r).done);
  EXPECT_GE(budget.used(), 1u << 20);
  r.ReleaseBody();
  EXPECT_EQ(r.body.capacity(), std::string().capacity());
  EXPECT_EQ(budget.used(), r.body.capacity());
}

}  // namespace
}  // namespace mcpx::transport::http
