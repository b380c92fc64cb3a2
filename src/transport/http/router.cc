#include "transport/http/router.h"

#include <openssl/crypto.h>

#include "mcpx/error.h"
#include "transport/http/wire.h"

namespace mcpx::transport::http {
namespace {

using beast_http::status;

engine::Envelope EnvelopeOf(const RequestHeaders& h) {
  return {.session_id = h.session_id,
          .protocol_version = h.protocol_version,
          .principal = h.principal.get(),
          .has_headers = true,
          .mcp_method = h.mcp_method,
          .mcp_name = h.mcp_name,
          .mcp_params = h.mcp_params};
}

std::string SessionHeader(std::string_view id) {
  std::string line;
  wire::AppendSessionHeader(line, id);
  return line;
}

// GET and DELETE exist only for sessions (2026-07-28 has neither): without
// one, the method is not allowed here.
Answer NoSessionlessStream() {
  Answer a = ErrorAnswer(status::method_not_allowed, ErrorCode::kServerOverloaded,
                         "Method Not Allowed: GET and DELETE need an Mcp-Session-Id");
  a.headers = "Allow: GET, POST, DELETE\r\n";
  return a;
}

// GET /admin/security-events: the monitor's recent events and busiest
// addresses, for the admin token only (compared in constant time).
// Whether `authorization` is "Bearer <token>", compared in constant time.
bool BearerMatches(std::string_view authorization, std::string_view token) {
  const std::string expected = "Bearer " + std::string(token);
  return authorization.size() == expected.size() &&
         CRYPTO_memcmp(authorization.data(), expected.data(), expected.size()) == 0;
}

Answer AdminAnswer(std::string_view authorization, HttpShared& shared) {
  if (!BearerMatches(authorization, shared.options.admin_token)) {
    Answer a = ErrorAnswer(status::unauthorized, ErrorCode::kServerOverloaded, "Unauthorized: the admin token is required");
    a.headers = "WWW-Authenticate: Bearer realm=\"mcpx-admin\"\r\n";
    return a;
  }
  const guard::SecurityMonitor& monitor = shared.port.security();
  json::array events;
  for (const auto& e : monitor.Recent(256)) {
    events.push_back(json::object{{"sequence", e.sequence},
                                  {"kind", guard::Name(e.kind)},
                                  {"timeUs", e.time_us},
                                  {"address", e.address},
                                  {"principal", e.principal},
                                  {"session", e.session_id},
                                  {"detail", e.detail}});
  }
  json::array addresses;
  for (const auto& [address, count] : monitor.TopAddresses(32)) {
    addresses.push_back(json::object{{"address", address}, {"events", count}});
  }
  return {.content_type = "application/json",
          .body = json::serialize(json::object{{"total", monitor.total()},
                                               {"dropped", monitor.dropped()},
                                               {"events", std::move(events)},
                                               {"addresses", std::move(addresses)}})};
}

}  // namespace

Answer ErrorAnswer(status st, int code, std::string_view message, const json::value& id, const json::value& data) {
  return {.status = st,
          .content_type = "application/json",
          .body = protocol::SerializeError(id, code, message, data)};
}

Answer UnavailableAnswer(const json::value& id, std::string_view message, std::string_view retry_after_s) {
  Answer a = ErrorAnswer(status::service_unavailable, ErrorCode::kServerOverloaded, message, id);
  a.headers.append("Retry-After: ").append(retry_after_s).append("\r\n");
  return a;
}

Answer BearerAnswer(const BearerRefusal& refusal) {
  if (refusal.status == 503) return UnavailableAnswer(nullptr, refusal.message, "5");
  Answer a = ErrorAnswer(refusal.status == 403 ? status::forbidden : status::unauthorized, ErrorCode::kServerOverloaded,
                         refusal.message);
  a.headers.append("WWW-Authenticate: ").append(refusal.www_authenticate).append("\r\n");
  return a;
}

Answer OverloadedAnswer(observe::Metrics& metrics) {
  metrics.overload_refusals.Add();
  Answer a = UnavailableAnswer(nullptr, "Server overloaded: memory budget spent; retry later", "1");
  a.close = true;
  return a;
}

Answer RateLimitedAnswer(observe::Metrics& metrics, std::int64_t retry_after_s) {
  metrics.rate_limited[observe::kLimitAddress].Add();
  Answer a = ErrorAnswer(status::too_many_requests, ErrorCode::kServerOverloaded,
                         "Too Many Requests: rate limit for this client address; retry later");
  a.headers.append("Retry-After: ").append(std::to_string(std::max<std::int64_t>(retry_after_s, 1))).append("\r\n");
  a.close = true;
  return a;
}

Answer RefusalAnswer(const engine::Admission& refused, const json::value& id, const BearerGate* bearer) {
  using engine::Refusal;
  switch (refused.refusal) {
    case Refusal::kUnknownSession:
    case Refusal::kMethodNotFound:
      return ErrorAnswer(status::not_found, refused.code, refused.message, id);
    case Refusal::kUnavailable:
      return UnavailableAnswer(id, refused.message, "5");
    case Refusal::kInsufficientScope: {
      Answer a = ErrorAnswer(status::forbidden, refused.code, refused.message, id, refused.data);
      if (bearer != nullptr) {
        const json::value* scopes = refused.data.is_object() ? refused.data.get_object().if_contains("requiredScopes")
                                                             : nullptr;
        a.headers.append("WWW-Authenticate: ")
            .append(bearer->InsufficientScope(scopes && scopes->is_array() ? scopes->get_array() : json::array()))
            .append("\r\n");
      }
      return a;
    }
    case Refusal::kRateLimited: {
      // The client, not its address, is over a limit: the connection stays.
      Answer a = ErrorAnswer(status::too_many_requests, refused.code, refused.message, id, refused.data);
      a.headers.append("Retry-After: ").append(std::to_string((refused.retry_after_ms + 999) / 1000)).append("\r\n");
      return a;
    }
    case Refusal::kNone:  // not a refusal; never asked
    case Refusal::kSessionRequired:
    case Refusal::kUnsupportedVersion:
    case Refusal::kVersionTooNew:
    case Refusal::kAlreadyInitialized:
    case Refusal::kInvalidParams:
    case Refusal::kHeaderMismatch:
    case Refusal::kMissingCapability:
      break;
  }
  return ErrorAnswer(status::bad_request, refused.code, refused.message, id, refused.data);
}

Route RouteRequest(const Request& request, HttpShared& shared, Answer& answer) {
  const RequestHeaders& h = request.headers;
  std::string_view target = request.target;
  target = target.substr(0, target.find('?'));
  if (!shared.policy.HostAllowed(h.host)) {
    answer = ErrorAnswer(status::forbidden, ErrorCode::kServerOverloaded, "Forbidden: Host not allowed");
    return Route::kAnswered;
  }
  if (!shared.policy.OriginAllowed(h.origin)) {
    answer = ErrorAnswer(status::forbidden, ErrorCode::kServerOverloaded, "Forbidden: Origin not allowed");
    return Route::kAnswered;
  }
  const bool healthz = target == "/healthz";
  if ((healthz || target == "/metrics") && shared.options.serve_metrics && request.method == beast_http::verb::get &&
      (shared.loopback_bind || !shared.options.metrics_token.empty())) {
    // On a loopback bind a liveness probe needs no token; the rest does.
    const bool open = healthz && shared.loopback_bind;
    if (!open && !shared.options.metrics_token.empty() &&
        !BearerMatches(request.headers.authorization, shared.options.metrics_token)) {
      answer = ErrorAnswer(status::unauthorized, ErrorCode::kServerOverloaded, "Unauthorized: the metrics token is required");
      answer.headers = "WWW-Authenticate: Bearer realm=\"mcpx-metrics\"\r\n";
      return Route::kAnswered;
    }
    answer = healthz ? Answer{.content_type = "text/plain", .body = "ok\n"}
                     : Answer{.content_type = "text/plain; version=0.0.4", .body = shared.port.MetricsText()};
    return Route::kAnswered;
  }
  if (target == "/admin/security-events" && !shared.options.admin_token.empty() &&
      request.method == beast_http::verb::get) {
    answer = AdminAnswer(request.headers.authorization, shared);
    return Route::kAnswered;
  }
  if (shared.bearer && shared.bearer->IsMetadataPath(target) && request.method == beast_http::verb::get) {
    answer = {.content_type = "application/json", .body = shared.bearer->metadata()};
    return Route::kAnswered;
  }
  if (!shared.options.serve_mcp || target != shared.options.path) {
    answer = ErrorAnswer(status::not_found, ErrorCode::kInvalidRequest, "Not found");
    return Route::kAnswered;
  }
  switch (request.method) {
    case beast_http::verb::post:
      return Route::kPost;
    case beast_http::verb::get:
      return Route::kGet;
    case beast_http::verb::delete_:
      return Route::kDelete;
    default:
      answer = ErrorAnswer(status::method_not_allowed, ErrorCode::kServerOverloaded, "Method not allowed");
      answer.headers = "Allow: GET, POST, DELETE\r\n";
      return Route::kAnswered;
  }
}

std::optional<Answer> CheckPost(const RequestHeaders& h) {
  if (!AcceptsMediaType(h.accept, "application/json") || !AcceptsMediaType(h.accept, "text/event-stream")) {
    return ErrorAnswer(status::not_acceptable, ErrorCode::kServerOverloaded,
                       "Not Acceptable: Accept must list application/json and text/event-stream");
  }
  if (!IsJsonContentType(h.content_type)) {
    return ErrorAnswer(status::unsupported_media_type, ErrorCode::kServerOverloaded,
                       "Unsupported Media Type: Content-Type must be application/json");
  }
  return std::nullopt;
}

std::variant<Answer, Admitted> AdmitPost(const protocol::ParseOutcome& parsed, const RequestHeaders& headers,
                                         HttpShared& shared) {
  if (parsed.failure) {
    return ErrorAnswer(status::bad_request, parsed.failure->code, parsed.failure->message, parsed.failure->id);
  }
  const protocol::Message& message = *parsed.message;
  engine::Admission admission = shared.port.Admit(message, EnvelopeOf(headers), shared.setup);
  if (!admission.admitted()) return RefusalAnswer(admission, message.id, shared.bearer.get());
  return Admitted{std::move(admission.session), std::move(admission.initialized)};
}

std::variant<Answer, StreamChoice> AdmitGet(const RequestHeaders& headers, HttpShared& shared) {
  if (!AcceptsMediaType(headers.accept, "text/event-stream")) {
    return ErrorAnswer(status::not_acceptable, ErrorCode::kServerOverloaded,
                       "Not Acceptable: Accept must list text/event-stream");
  }
  if (headers.session_id.empty()) return NoSessionlessStream();
  if (shared.port.draining()) return UnavailableAnswer(nullptr, "Server shutting down", "5");
  engine::Admission admission = shared.port.Resolve(EnvelopeOf(headers));
  if (!admission.admitted()) return RefusalAnswer(admission, nullptr, shared.bearer.get());
  HttpSessionState& state = StateOf(*admission.session);
  StreamChoice choice{std::move(admission.session), nullptr, std::nullopt};
  if (const std::string_view last = headers.last_event_id; !last.empty()) {
    auto parsed = SseStream::ParseEventId(last);
    if (!parsed) {
      return ErrorAnswer(status::bad_request, ErrorCode::kInvalidRequest, "Bad Request: malformed Last-Event-ID");
    }
    choice.stream = state.FindStream(parsed->first);
    choice.after = parsed->second;
    if (!choice.stream) {
      // Forgotten stream: nothing left to replay; answer with an ended stream.
      choice.stream =
          std::make_shared<SseStream>(parsed->first, std::make_shared<EventStore>(EventStoreLimits{}), nullptr);
      choice.stream->Finish();
    }
  } else {
    // The standalone stream, made by the session's first GET if no message
    // made it before.
    choice.stream = state.standalone();
  }
  return choice;
}

Answer Delete(const RequestHeaders& headers, HttpShared& shared) {
  if (headers.session_id.empty()) return NoSessionlessStream();
  engine::Admission admission = shared.port.Resolve(EnvelopeOf(headers));
  if (!admission.admitted()) return RefusalAnswer(admission, nullptr, shared.bearer.get());
  shared.port.Close(admission.session);
  return {};
}

Answer InitializedAnswer(Admitted& admitted) {
  return {.content_type = "application/json",
          .body = std::move(admitted.initialized),
          .headers = SessionHeader(admitted.session->id())};
}

}  // namespace mcpx::transport::http
