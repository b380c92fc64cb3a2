#include "transport/http/bearer.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/url/parse.hpp>

#include "auth/http_fetch.h"
#include "auth/jwt_validator.h"
#include "auth/key_set.h"
#include "observe/log.h"

namespace mcpx::transport::http {
namespace {

constexpr std::string_view kMetadataPrefix = "/.well-known/oauth-protected-resource";

std::string Quoted(std::string_view value) {
  // RFC 9110 quoted-string; what we put here never holds '"' or '\', but a
  // configured scope or URL might.
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Joined(const json::array& scopes) {
  std::string out;
  for (const json::value& s : scopes) {
    if (!s.is_string()) continue;
    if (!out.empty()) out.push_back(' ');
    out.append(s.get_string());
  }
  return out;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Introspection calls block on the network (up to FetchOptions::timeout, 5 s),
// so they run on threads of their own, not on the server's workers: a slow or
// hung authorization server then holds these threads only, never the tool
// handlers, and a burst of tool calls does not queue authentication behind
// it. 16 threads: the 64 calls the Introspector allows in flight all end
// within 4 x 5 s, inside a request's 30 s read timeout, even when every one
// runs to the deadline. Process-wide and never destroyed: a gate may go on
// any thread, one of these included, and nothing has to join them at exit.
boost::asio::thread_pool& AuthCallPool() {
  static auto* pool = new boost::asio::thread_pool(16);
  return *pool;
}

engine::PrincipalPtr ToPrincipal(const auth::Principal& p) {
  auto principal = std::make_shared<engine::Principal>();
  // A token without a subject speaks for its client (client credentials).
  principal->key = p.issuer + " " + (p.subject.empty() ? "client:" + p.client_id : p.subject);
  principal->scopes = p.scopes;
  return principal;
}

}  // namespace

BearerGate::BearerGate(const AuthOptions& options, std::string resource)
    : options_(options),
      resource_(std::move(resource)),
      keys_(auth::JwksCache::Options{.refresh_interval_s = std::max<std::int64_t>(60, options.jwks_refresh.count())}),
      local_keys_(!options.jwks_file.empty() || !options.jwks_uri.empty()) {
  validator_.issuer = options_.issuer;
  validator_.audience = resource_;
  validator_.leeway_s = options_.leeway.count();
}

std::unique_ptr<BearerGate> BearerGate::Make(const AuthOptions& options, std::string resource, std::string* error) {
  if (options.issuer.empty()) {
    *error = "auth: the authorization server's issuer is required";
    return nullptr;
  }
  if (!options.jwks_file.empty() && !options.jwks_uri.empty()) {
    *error = "auth: at most one of jwks_file and jwks_uri";
    return nullptr;
  }
  if (options.jwks_file.empty() && options.jwks_uri.empty() && options.introspection_uri.empty()) {
    *error = "auth: the authorization server's keys (jwks_file or jwks_uri) or its introspection_uri is required";
    return nullptr;
  }
  if (!options.introspection_uri.empty()) {
    auto endpoint = boost::urls::parse_absolute_uri(options.introspection_uri);
    if (!endpoint || (endpoint->scheme() != "https" && endpoint->scheme() != "http")) {
      *error = "auth: the introspection_uri must be an absolute http(s) URL: " + options.introspection_uri;
      return nullptr;
    }
    // The client secret and the tokens travel in it: plain http only on
    // this machine (the HTTP client refuses it elsewhere anyway, which would
    // make every request a 503).
    if (endpoint->scheme() == "http") {
      boost::system::error_code ec;
      std::string host(endpoint->host_address());
      const auto address = boost::asio::ip::make_address(host, ec);
      if (ec ? host != "localhost" : !address.is_loopback()) {
        *error = "auth: the introspection_uri must be https (plain http only to loopback): " +
                 options.introspection_uri;
        return nullptr;
      }
    }
    if (options.client_id.empty() || options.client_secret.empty()) {
      *error = "auth: introspection needs this server's client_id and client_secret at the authorization server";
      return nullptr;
    }
  }
  auto url = boost::urls::parse_absolute_uri(resource);
  if (!url || (url->scheme() != "https" && url->scheme() != "http") || !url->has_authority() ||
      url->has_fragment()) {
    *error = "auth: the resource must be an absolute http(s) URI without a fragment: " + resource;
    return nullptr;
  }
  std::unique_ptr<BearerGate> gate(new BearerGate(options, resource));
  // RFC 9728 section 3.1: the well-known prefix goes between the authority
  // and the resource's path.
  std::string path(url->encoded_path());
  if (path == "/") path.clear();
  gate->metadata_path_ = std::string(kMetadataPrefix) + path;
  gate->metadata_url_ = std::string(url->scheme()) + "://" + std::string(url->encoded_authority()) +
                        gate->metadata_path_;
  json::object metadata{{"resource", resource},
                        {"authorization_servers", json::array{json::string(options.issuer)}},
                        {"bearer_methods_supported", json::array{"header"}}};
  if (!options.scopes_supported.empty()) {
    json::array scopes;
    for (const std::string& s : options.scopes_supported) scopes.emplace_back(s);
    metadata["scopes_supported"] = std::move(scopes);
  }
  gate->metadata_ = json::serialize(metadata);

  if (!options.jwks_file.empty()) {
    auto text = ReadFile(options.jwks_file);
    if (!text) {
      *error = "auth: cannot read the JWKS file " + options.jwks_file;
      return nullptr;
    }
    auto keys = auth::KeySet::FromJwks(*text);
    if (!keys) {
      *error = "auth: the JWKS file " + options.jwks_file + " is refused: " + std::string(auth::Describe(keys.error()));
      return nullptr;
    }
    gate->keys_.Install(std::move(keys).value(), 0);
  } else if (!options.jwks_uri.empty()) {
    // At start the keys are fetched once; a failure is not fatal (the
    // authorization server may start later), and refreshes keep trying.
    gate->Maintain(std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count());
  }
  if (!options.introspection_uri.empty()) {
    auth::Introspector::Options o;
    o.endpoint = options.introspection_uri;
    o.client_id = options.client_id;
    o.client_secret = options.client_secret;
    o.validator = gate->validator_;
    o.cache.ttl_s = std::max<std::int64_t>(0, options.introspection_cache_ttl.count());
    gate->introspector_ = std::make_unique<auth::Introspector>(
        std::move(o), [](std::function<void()> job) { boost::asio::post(AuthCallPool(), std::move(job)); });
  }
  return gate;
}

BearerGate::~BearerGate() = default;

bool BearerGate::IsMetadataPath(std::string_view path) const {
  return path == metadata_path_ || path == kMetadataPrefix;
}

BearerRefusal BearerGate::Unauthorized(std::string_view error_description) const {
  BearerRefusal r;
  r.www_authenticate = "Bearer ";
  if (!error_description.empty()) {
    r.www_authenticate += "error=\"invalid_token\", error_description=" + Quoted(error_description) + ", ";
  }
  r.www_authenticate += "resource_metadata=" + Quoted(metadata_url_);
  if (!options_.required_scopes.empty()) {
    std::string scopes;
    for (const std::string& s : options_.required_scopes) scopes += (scopes.empty() ? "" : " ") + s;
    r.www_authenticate += ", scope=" + Quoted(scopes);
  }
  r.message = error_description.empty() ? "Unauthorized: a bearer token is required"
                                        : "Unauthorized: " + std::string(error_description);
  return r;
}

std::string BearerGate::InsufficientScope(const json::array& scopes) const {
  return "Bearer error=\"insufficient_scope\", scope=" + Quoted(Joined(scopes)) +
         ", resource_metadata=" + Quoted(metadata_url_);
}

std::variant<engine::PrincipalPtr, BearerRefusal, BearerPending> BearerGate::Check(std::string_view authorization,
                                                                                   std::int64_t now_s,
                                                                                   BearerMemo& memo) const {
  // RFC 6750 2.1: "Bearer" (case-insensitive) SP token.
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), authorization.begin(),
                  [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
    return Unauthorized("");
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return Unauthorized("");
  if (memo.principal && memo.token == token && now_s <= memo.expires_at_s) return memo.principal;
  auto widen = [](BearerVerdict v) -> std::variant<engine::PrincipalPtr, BearerRefusal, BearerPending> {
    if (auto* p = std::get_if<engine::PrincipalPtr>(&v)) return std::move(*p);
    return std::get<BearerRefusal>(std::move(v));
  };
  // A JWS compact token (three segments) is checked here when we hold keys;
  // any other token, or every token without keys, is the authorization
  // server's to judge.
  const bool jwt_shaped = std::count(token.begin(), token.end(), '.') == 2;
  if (introspector_ && !(local_keys_ && jwt_shaped)) {
    if (auto hit = introspector_->Cached(token, now_s)) return widen(Conclude(*hit));
    return BearerPending{std::string(token)};
  }
  auto keys = keys_.Current();
  auto who = auth::ValidateJwt(token, *keys, validator_, now_s);
  if (!who) {
    if (who.error() == auth::TokenError::kUnknownKey && !options_.jwks_uri.empty() && keys_.NoteUnknownKid(now_s)) {
      refresh_requested_.store(true, std::memory_order_relaxed);
    }
    return Unauthorized(auth::Describe(who.error()));
  }
  return widen(Admit(*who, token, who->expires_at + validator_.leeway_s, &memo));
}

void BearerGate::Introspect(std::string token, std::int64_t now_s,
                            std::function<void(auth::Introspector::Outcome)> done) const {
  introspector_->Lookup(std::move(token), now_s, std::move(done));
}

BearerVerdict BearerGate::Conclude(const auth::Introspector::Outcome& outcome) const {
  if (!outcome) {
    if (outcome.error() == auth::TokenError::kUnavailable) {
      // Says nothing about the token: the authorization server did not answer
      // (down, a wrong client secret, or too many calls in flight). Said in
      // the log at most every 10 s.
      const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::steady_clock::now().time_since_epoch()).count();
      std::int64_t last = last_unavailable_log_s_.load(std::memory_order_relaxed);
      if (now_s - last >= 10 && last_unavailable_log_s_.compare_exchange_strong(last, now_s)) {
        observe::Log().warn("auth: token introspection at {} failed (no answer, not 200, or {} calls in flight); "
                            "requests with uncached tokens get 503",
                            options_.introspection_uri, auth::Introspector::Options{}.max_in_flight);
      }
      return BearerRefusal{503, "", "Service Unavailable: the access token cannot be checked now; retry later"};
    }
    return Unauthorized(auth::Describe(outcome.error()));
  }
  return Admit(*outcome, {}, 0, nullptr);
}

BearerVerdict BearerGate::Admit(const auth::Principal& who, std::string_view token, std::int64_t memo_until_s,
                                BearerMemo* memo) const {
  for (const std::string& needed : options_.required_scopes) {
    if (std::find(who.scopes.begin(), who.scopes.end(), needed) == who.scopes.end()) {
      json::array scopes;
      for (const std::string& s : options_.required_scopes) scopes.emplace_back(s);
      return BearerRefusal{403, InsufficientScope(scopes), "Forbidden: insufficient scope"};
    }
  }
  engine::PrincipalPtr principal = ToPrincipal(who);
  if (memo != nullptr) {
    memo->token.assign(token);
    memo->principal = principal;
    memo->expires_at_s = memo_until_s;
  }
  return principal;
}

bool BearerGate::refresh_requested() const { return refresh_requested_.load(std::memory_order_relaxed); }

void BearerGate::Maintain(std::int64_t now_s) {
  if (options_.jwks_uri.empty()) return;
  // A token named an unknown key (that caller claimed the refresh), or the
  // set is old.
  if (refresh_requested_.exchange(false, std::memory_order_relaxed) || keys_.RefreshDue(now_s)) Fetch(now_s);
}

void BearerGate::Fetch(std::int64_t now_s) {
  const std::string& uri = options_.jwks_uri;
  auto failed = keys_.Refresh(
      [&uri]() -> std::optional<std::string> {
        auto reply = auth::HttpGet(uri, {});
        if (!reply) {
          observe::Log().warn("auth: fetching {} failed: {}", uri, auth::Describe(reply.error()));
          return std::nullopt;
        }
        if (reply->status != 200) {
          observe::Log().warn("auth: fetching {} answered HTTP {}", uri, reply->status);
          return std::nullopt;
        }
        return std::move(reply->body);
      },
      now_s);
  if (failed) observe::Log().warn("auth: the keys from {} are refused: {}", uri, auth::Describe(*failed));
}

}  // namespace mcpx::transport::http
