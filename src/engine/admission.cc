// Admission: which revision a message speaks, and whether it may be served.
//
// Two eras share one endpoint (protocol/version.h). A message is stateless
// (2026-07-28) when the transport names a revision outside the initialize
// era, or when its _meta names its revision; otherwise it belongs to the
// session it names, or is the initialize that opens one.
#include <algorithm>

#include "engine/engine.h"
#include "engine/methods/methods.h"
#include "mcpx/error.h"
#include "protocol/header_value.h"
#include "protocol/meta.h"
#include "protocol/version.h"

namespace mcpx::engine {
namespace {

Admission Refused(Refusal why, int code, std::string message, json::value data = nullptr) {
  Admission refused;
  refused.refusal = why;
  refused.code = code;
  refused.message = std::move(message);
  refused.data = std::move(data);
  return refused;
}

Admission HeaderMismatch(std::string message) {
  return Refused(Refusal::kHeaderMismatch, ErrorCode::kHeaderMismatch, "Bad Request: " + std::move(message));
}

bool IsStateless(const protocol::Message& message, const Envelope& envelope) {
  if (!envelope.protocol_version.empty() && !protocol::IsLegacyRevision(envelope.protocol_version)) return true;
  const json::value* meta = message.params.if_contains("_meta");
  return meta != nullptr && meta->is_object() && meta->get_object().contains(protocol::meta::kProtocolVersion);
}

// The name a request's Mcp-Name header mirrors: the tool or prompt name, or
// the resource URI; null for methods without one.
const json::value* NamedByRequest(const protocol::Message& message) {
  if (message.method == "tools/call" || message.method == "prompts/get") return message.params.if_contains("name");
  if (message.method == "resources/read") return message.params.if_contains("uri");
  return nullptr;
}

// Mcp-Param-{Name} against the arguments of the tool's x-mcp-header
// properties: a value in the body needs its header, and the header must
// say the same.
bool ParamHeadersMatch(const Tool& tool, const json::object& params, const Envelope& envelope) {
  const json::value* properties = tool.input_schema.if_contains("properties");
  if (properties == nullptr || !properties->is_object()) return true;
  const json::value* arguments = params.if_contains("arguments");
  const json::object* args = arguments && arguments->is_object() ? &arguments->get_object() : nullptr;
  for (const auto& [property, schema] : properties->get_object()) {
    const json::value* header = schema.is_object() ? schema.get_object().if_contains("x-mcp-header") : nullptr;
    if (header == nullptr || !header->is_string()) continue;
    const json::value* value = args ? args->if_contains(property) : nullptr;
    const std::string_view name = header->get_string();
    auto sent = std::find_if(envelope.mcp_params.begin(), envelope.mcp_params.end(), [name](const auto& p) {
      return p.first.size() == name.size() &&
             std::equal(name.begin(), name.end(), p.first.begin(),
                        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                                    std::tolower(static_cast<unsigned char>(b)); });
    });
    if (sent == envelope.mcp_params.end()) {
      if (value != nullptr && !value->is_null()) return false;
      continue;
    }
    const auto decoded = protocol::DecodeHeaderValue(sent->second);
    if (!decoded) return false;
    if (value != nullptr && !value->is_null() && !protocol::HeaderMatchesJson(*decoded, *value)) return false;
  }
  return true;
}

Admission RateLimited(std::int64_t wait_ns, std::string_view whose) {
  const std::int64_t wait_ms = std::max<std::int64_t>(1, (wait_ns + 999'999) / 1'000'000);
  Admission refused = Refused(Refusal::kRateLimited, ErrorCode::kServerOverloaded,
                              "Too Many Requests: over " + std::string(whose) + "; retry later",
                              json::object{{"retryAfterMs", wait_ms}});
  refused.retry_after_ms = wait_ms;
  return refused;
}

// The scopes the resource at `uri` needs (its own, else its template's).
const std::vector<std::string>* ScopesOfUri(std::string_view uri, const CatalogSnapshot& catalog) {
  if (!catalog.scoped[ListPageCache::kResources] && !catalog.scoped[ListPageCache::kTemplates]) return nullptr;
  if (auto it = catalog.resources.find(uri); it != catalog.resources.end()) return &it->second->scopes;
  std::map<std::string, std::string> vars;
  for (const auto& t : catalog.templates) {
    if (MatchUriTemplate(t->uri_template, uri, vars)) return &t->scopes;
  }
  return nullptr;
}

// The scopes the item a request names needs, if it has any.
const std::vector<std::string>* ScopesNamedBy(const protocol::Message& message, const CatalogSnapshot& catalog) {
  const auto name_of = [&message](std::string_view member) -> std::optional<std::string_view> {
    const json::value* v = message.params.if_contains(member);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string_view(v->get_string());
  };
  if (message.method == "tools/call" && catalog.scoped[ListPageCache::kTools]) {
    if (auto name = name_of("name")) {
      if (auto it = catalog.tools.find(*name); it != catalog.tools.end()) return &it->second->scopes;
    }
  } else if (message.method == "prompts/get" && catalog.scoped[ListPageCache::kPrompts]) {
    if (auto name = name_of("name")) {
      if (auto it = catalog.prompts.find(*name); it != catalog.prompts.end()) return &it->second->scopes;
    }
  } else if (message.method == "completion/complete") {
    // A completion reveals argument values: it needs what its prompt or
    // resource template needs.
    const json::value* ref = message.params.if_contains("ref");
    if (ref == nullptr || !ref->is_object()) return nullptr;
    const auto member = [ref](std::string_view key) -> std::string_view {
      const json::value* v = ref->get_object().if_contains(key);
      return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
    };
    if (member("type") == "ref/prompt" && catalog.scoped[ListPageCache::kPrompts]) {
      if (auto it = catalog.prompts.find(member("name")); it != catalog.prompts.end()) return &it->second->scopes;
    } else if (member("type") == "ref/resource" && catalog.scoped[ListPageCache::kTemplates]) {
      for (const auto& t : catalog.templates) {
        if (t->uri_template == member("uri")) return &t->scopes;
      }
    }
  } else if (message.method == "resources/read" || message.method == "resources/subscribe") {
    if (auto uri = name_of("uri")) return ScopesOfUri(*uri, catalog);
  }
  return nullptr;
}

// The scopes a principal lacks for what `message` names: one item's, or,
// for a listen stream, those of every resource it subscribes to.
std::vector<std::string> MissingScopes(const protocol::Message& message, const CatalogSnapshot& catalog,
                                       const Principal& who) {
  std::vector<std::string> missing;
  const auto add = [&](const std::vector<std::string>* needed) {
    if (needed == nullptr || who.HasAll(*needed)) return;
    for (const std::string& s : *needed) {
      if (std::find(missing.begin(), missing.end(), s) == missing.end()) missing.push_back(s);
    }
  };
  if (message.method != "subscriptions/listen") {
    add(ScopesNamedBy(message, catalog));
    return missing;
  }
  const json::value* filter = message.params.if_contains("notifications");
  const json::value* uris = filter && filter->is_object() ? filter->get_object().if_contains("resourceSubscriptions")
                                                          : nullptr;
  if (uris == nullptr || !uris->is_array()) return missing;
  for (const json::value& uri : uris->get_array()) {
    if (uri.is_string()) add(ScopesOfUri(uri.get_string(), catalog));
  }
  return missing;
}

}  // namespace

Admission Engine::CheckScopes(const protocol::Message& message, const Principal* who, CatalogView& catalog,
                              Admission admitted) {
  if (who == nullptr || !admitted.admitted() || !message.is_request() || !catalog_.has_scoped_items()) {
    return admitted;
  }
  const std::vector<std::string> needed = MissingScopes(message, *catalog, *who);
  if (needed.empty()) return admitted;
  metrics_.scope_refusals.Add();
  RecordSecurity(guard::SecurityEventKind::kInsufficientScope, {}, who->key,
                 admitted.session ? std::string_view(admitted.session->id()) : std::string_view(), message.method);
  json::array required;
  for (const std::string& scope : needed) required.emplace_back(scope);
  return Refused(Refusal::kInsufficientScope, ErrorCode::kServerOverloaded, "Forbidden: insufficient scope",
                 json::object{{"requiredScopes", std::move(required)}});
}

std::int64_t Engine::ToolWaitNs(const protocol::Message& message, CatalogView& catalog, std::int64_t now_ns) {
  if (message.method != "tools/call") return 0;
  const json::value* name = message.params.if_contains("name");
  if (name == nullptr || !name->is_string()) return 0;
  const auto& tools = catalog->tools;
  auto it = tools.find(std::string_view(name->get_string()));
  if (it == tools.end()) return 0;
  return it->second->calls.Take(now_ns, it->second->call_rate);
}

Engine::Over Engine::TakeClientLimits(guard::GcraCell& requests, guard::GcraCell& bytes,
                                      const protocol::Message& message, std::int64_t now_ns,
                                      std::int64_t* wait_ns) const {
  const auto size = static_cast<double>(message.wire_bytes);
  if (!message.is_request()) {
    // Notifications and answers are not refused (the client is owed
    // nothing for them), but their bytes count.
    bytes.Charge(now_ns, session_byte_rate_, size);
    return Over::kNone;
  }
  if ((*wait_ns = requests.Take(now_ns, session_rate_))) return Over::kRequests;
  if ((*wait_ns = bytes.Take(now_ns, session_byte_rate_, size))) return Over::kBytes;
  return Over::kNone;
}

Admission Engine::Throttle(const protocol::Message& message, const Principal* who, CatalogView& catalog,
                           Admission admitted) {
  if (!admitted.admitted()) return admitted;
  const bool client_limits = session_rate_.enabled() || session_byte_rate_.enabled();
  const bool session_limits = client_limits && admitted.session;
  // A stateless request has no session: its principal's limits stand in
  // (without one, only the transport's per-address limit applies).
  const bool principal_limits = client_limits && !admitted.session && admitted.stateless && who != nullptr;
  const bool tool_limits = message.is_request() && catalog_.has_tool_rates();
  if (!session_limits && !principal_limits && !tool_limits) return admitted;
  const std::int64_t now_ns = NowMs() * 1'000'000;
  if (session_limits || principal_limits) {
    std::int64_t wait = 0;
    Session* s = admitted.session.get();
    const Over over = s != nullptr ? TakeClientLimits(s->request_rate(), s->byte_rate(), message, now_ns, &wait)
                                   : TakePrincipalLimits(*who, message, now_ns, &wait);
    if (over != Over::kNone) {
      // What the refusal says, by whose limit (session, principal) and which.
      struct Limit {
        observe::LimitKind metric;
        std::string_view detail;  // the security event's
        std::string_view whose;   // the error message's
      };
      static constexpr Limit kLimits[2][2] = {
          {{observe::kLimitSession, "session request rate", "this session's request rate"},
           {observe::kLimitSessionBytes, "session byte rate", "this session's byte rate"}},
          {{observe::kLimitPrincipal, "principal request rate", "this principal's request rate"},
           {observe::kLimitPrincipalBytes, "principal byte rate", "this principal's byte rate"}}};
      const Limit& limit = kLimits[s != nullptr ? 0 : 1][over == Over::kBytes ? 1 : 0];
      metrics_.rate_limited[limit.metric].Add();
      RecordSecurity(guard::SecurityEventKind::kRateLimited, {}, s != nullptr ? std::string_view() : who->key,
                     s != nullptr ? std::string_view(s->id()) : std::string_view(), limit.detail);
      return RateLimited(wait, limit.whose);
    }
  }
  if (tool_limits) {
    if (std::int64_t wait_tool = ToolWaitNs(message, catalog, now_ns)) {
      metrics_.rate_limited[observe::kLimitTool].Add();
      RecordSecurity(guard::SecurityEventKind::kRateLimited, {}, {}, {}, "tool call rate");
      return RateLimited(wait_tool, "this tool's call rate");
    }
  }
  return admitted;
}

Admission Engine::AdmitStateless(const protocol::Message& message, const Envelope& envelope, CatalogView& catalog) {
  namespace meta = protocol::meta;
  if (envelope.has_headers && envelope.protocol_version.empty()) {
    return HeaderMismatch("MCP-Protocol-Version header is required");
  }
  Admission admission;
  admission.stateless = true;
  // Notifications and responses carry nothing to check: nothing in this
  // revision answers them.
  if (!message.is_request()) return admission;
  const json::value* meta_value = message.params.if_contains("_meta");
  const json::object* request_meta = meta_value && meta_value->is_object() ? &meta_value->get_object() : nullptr;
  const json::value* version = request_meta ? request_meta->if_contains(meta::kProtocolVersion) : nullptr;
  const json::value* capabilities = request_meta ? request_meta->if_contains(meta::kClientCapabilities) : nullptr;
  if (version == nullptr || !version->is_string() || capabilities == nullptr || !capabilities->is_object()) {
    return Refused(Refusal::kInvalidParams, ErrorCode::kInvalidParams,
                   "Invalid params: _meta must carry " + std::string(meta::kProtocolVersion) + " and " +
                       std::string(meta::kClientCapabilities));
  }
  const std::string_view requested = version->get_string();
  if (envelope.has_headers && envelope.protocol_version != requested) {
    return HeaderMismatch("MCP-Protocol-Version header does not match _meta");
  }
  if (!protocol::IsModernVersion(requested)) {
    json::array supported;
    for (std::string_view v : protocol::ModernVersions()) supported.emplace_back(v);
    return Refused(Refusal::kUnsupportedVersion, ErrorCode::kUnsupportedProtocolVersion,
                   "Unsupported protocol version",
                   json::object{{"supported", std::move(supported)}, {"requested", requested}});
  }
  if (envelope.has_headers) {
    if (envelope.mcp_method != message.method) return HeaderMismatch("Mcp-Method header does not match the body");
    if (const json::value* name = NamedByRequest(message)) {
      const auto decoded = protocol::DecodeHeaderValue(envelope.mcp_name);
      if (envelope.mcp_name.empty() || !decoded || !name->is_string() || *decoded != name->get_string()) {
        return HeaderMismatch("Mcp-Name header does not match the body");
      }
    }
  }
  const methods::MethodEntry* entry = methods::Find(message.method);
  if (entry == nullptr || !(entry->eras & methods::kStateless)) {
    return Refused(Refusal::kMethodNotFound, ErrorCode::kMethodNotFound, "Method not found: " + message.method);
  }
  if (message.method == "tools/call") {
    const json::value* name = message.params.if_contains("name");
    if (name && name->is_string()) {
      const auto& tools = catalog->tools;
      if (auto it = tools.find(std::string_view(name->get_string())); it != tools.end()) {
        if (envelope.has_headers && !ParamHeadersMatch(*it->second, message.params, envelope)) {
          return HeaderMismatch("Mcp-Param headers do not match the arguments");
        }
        if (auto missing = methods::MissingCapabilities(*it->second, capabilities->get_object())) {
          return Refused(Refusal::kMissingCapability, ErrorCode::kMissingCapability,
                         "Client capability required by " + it->second->name,
                         json::object{{"requiredCapabilities", std::move(*missing)}});
        }
      }
    }
  }
  return admission;
}

Admission Engine::Admit(const protocol::Message& message, const Envelope& envelope, const SessionSetup& setup,
                        std::uint64_t owner) {
  // Every check below reads one catalog snapshot, fetched when the first
  // needs it.
  CatalogView catalog(catalog_);
  if (IsStateless(message, envelope)) {
    return Throttle(message, envelope.principal, catalog,
                    CheckScopes(message, envelope.principal, catalog, AdmitStateless(message, envelope, catalog)));
  }
  if (message.is_request() && message.method == "initialize") {
    if (!envelope.session_id.empty()) {
      return Refused(Refusal::kAlreadyInitialized, ErrorCode::kInvalidRequest,
                     "Invalid Request: initialize names a session; a session is initialized once");
    }
    return Open(message, setup, owner, envelope.principal);
  }
  if (envelope.session_id.empty() && envelope.session_optional) return Throttle(message, nullptr, catalog, {});
  return Throttle(message, envelope.principal, catalog,
                  CheckScopes(message, envelope.principal, catalog, Resolve(envelope, owner)));
}

Admission Engine::Resolve(const Envelope& envelope, std::uint64_t owner) {
  if (envelope.session_id.empty()) {
    return Refused(Refusal::kSessionRequired, ErrorCode::kServerOverloaded,
                   "Bad Request: Mcp-Session-Id header is required");
  }
  const std::string_view claimed = envelope.protocol_version;
  if (!claimed.empty() && !protocol::IsSupportedVersion(claimed)) {
    return Refused(Refusal::kUnsupportedVersion, ErrorCode::kServerOverloaded,
                   "Bad Request: unsupported MCP-Protocol-Version");
  }
  Admission admission;
  admission.session = FindSession(envelope.session_id);
  // Another transport's session is unknown here, so that a transport only
  // ever meets sessions carrying its own SessionTransport; so is another
  // principal's, so that a session id proves nothing by itself.
  if (admission.session && admission.session->owner() == owner &&
      !admission.session->BelongsTo(envelope.principal)) {
    metrics_.principal_mismatches.Add();
    RecordSecurity(guard::SecurityEventKind::kSessionPrincipalMismatch, {},
                   envelope.principal ? std::string_view(envelope.principal->key) : std::string_view(),
                   envelope.session_id);
    admission.session = nullptr;
  }
  if (!admission.session || admission.session->owner() != owner) {
    return Refused(Refusal::kUnknownSession, ErrorCode::kRequestTimeout, "Session not found");
  }
  if (!claimed.empty() && !protocol::MayServe(admission.session->init().protocol_version, claimed)) {
    return Refused(Refusal::kVersionTooNew, ErrorCode::kServerOverloaded,
                   "Bad Request: MCP-Protocol-Version is newer than the version negotiated at initialize");
  }
  return admission;
}

Admission Engine::Open(const protocol::Message& initialize, const SessionSetup& setup, std::uint64_t owner,
                       const Principal* principal) {
  std::string error;
  Admission admission;
  admission.session = NewSession(initialize.params, &error);
  if (!admission.session) return Refused(Refusal::kInvalidParams, ErrorCode::kInvalidParams, error);
  admission.session->set_owner(owner);
  if (principal != nullptr) admission.session->set_principal(std::make_shared<const std::string>(principal->key));
  if (setup) setup(*admission.session);
  if (!Publish(admission.session)) {
    return Refused(Refusal::kUnavailable, ErrorCode::kServerOverloaded,
                   draining() ? "Server shutting down" : "Server at session capacity; retry later");
  }
  admission.initialized = protocol::SerializeResult(initialize.id, InitializeResult(*admission.session));
  return admission;
}

}  // namespace mcpx::engine
