#include "mcpx/context.h"

#include <cmath>
#include <future>

#include "engine/engine.h"
#include "engine/request.h"
#include "mcpx/error.h"
#include "protocol/jsonrpc.h"

namespace mcpx {
namespace {

const std::string& EmptyString() {
  static const std::string empty;
  return empty;
}

// Integral numbers go out as JSON integers ("3", not "3E0").
json::value Number(double v) {
  // Only doubles inside int64's range may be converted (anything else is
  // undefined behaviour); non-finite ones are written as null by the codec.
  constexpr double kLimit = 9223372036854775808.0;  // 2^63
  if (std::isfinite(v) && v >= -kLimit && v < kLimit && v == std::trunc(v)) {
    return static_cast<std::int64_t>(v);
  }
  return v;
}

}  // namespace

Context::Context(std::shared_ptr<engine::RequestState> state) : state_(std::move(state)) {}

const std::string& Context::session_id() const {
  return state_->session() ? state_->session()->id() : EmptyString();
}
const json::object& Context::client_info() const { return state_->client_info(); }
const json::object& Context::client_capabilities() const { return state_->client_capabilities(); }
const std::string& Context::protocol_version() const { return state_->protocol_version(); }
std::string_view Context::principal() const {
  return state_->principal() ? std::string_view(state_->principal()->key) : std::string_view();
}
bool Context::HasScope(std::string_view scope) const {
  return state_->principal() != nullptr && state_->principal()->Has(scope);
}
const json::object& Context::request_meta() const { return state_->meta(); }
const std::map<std::string, std::string>& Context::template_vars() const {
  return state_->template_vars();
}

bool Context::cancelled() const { return state_->cancelled(); }
void Context::OnCancel(std::function<void()> fn) { state_->OnCancel(std::move(fn)); }

bool Context::has_progress_token() const { return !state_->progress_token().is_null(); }

void Context::Progress(double progress, std::optional<double> total, std::string_view message) {
  if (!has_progress_token()) return;
  json::object params{{"progressToken", state_->progress_token()}, {"progress", Number(progress)}};
  if (total) params["total"] = Number(*total);
  if (!message.empty()) params["message"] = message;
  state_->SendRelated(protocol::SerializeNotification("notifications/progress", params));
}

void Context::Log(LogLevel level, json::value data, std::string_view logger) {
  const std::optional<LogLevel> threshold = state_->log_level();
  if (!threshold || level < *threshold) return;
  json::object params{{"level", LogLevelName(level)}, {"data", std::move(data)}};
  if (!logger.empty()) params["logger"] = logger;
  state_->SendRelated(protocol::SerializeNotification("notifications/message", params));
}

void Context::Notify(std::string_view method, json::object params) {
  state_->SendRelated(protocol::SerializeNotification(method, params));
}

namespace {

// Sends on the request's own stream (so the client can relate it); dropped by
// RequestState once the request has finished.
struct RelatedChannel : engine::Channel {
  explicit RelatedChannel(engine::RequestState& r) : request(r) {}
  void Send(std::string message, bool) override { request.SendRelated(std::move(message)); }
  void Finish() override {}
  engine::RequestState& request;
};

}  // namespace

void Context::RequestClient(std::string method, json::object params,
                            std::function<void(ClientResponse)> done,
                            std::chrono::milliseconds timeout) {
  RelatedChannel related(*state_);
  state_->engine().RequestClient(state_->session(), &related, std::move(method), std::move(params),
                                 std::move(done), timeout);
}

ClientResponse Context::RequestClientSync(std::string method, json::object params,
                                          std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<ClientResponse>>();
  auto future = promise->get_future();
  RelatedChannel related(*state_);
  // Completed inline: fulfilling the promise needs no worker, so a pool whose
  // every worker waits here still gets woken.
  state_->engine().RequestClient(
      state_->session(), &related, std::move(method), std::move(params),
      [promise](ClientResponse r) { promise->set_value(std::move(r)); }, timeout,
      /*complete_inline=*/true);
  return future.get();
}

InputRequest InputRequest::Elicit(std::string message, json::object requested_schema) {
  return {"elicitation/create", {{"message", std::move(message)}, {"requestedSchema", std::move(requested_schema)}}};
}

InputRequest InputRequest::CreateMessage(json::array messages, std::int64_t max_tokens) {
  return {"sampling/createMessage", {{"messages", std::move(messages)}, {"maxTokens", max_tokens}}};
}

InputRequest InputRequest::ListRoots() { return {"roots/list", {}}; }

namespace {

// The client capability a server-to-client request needs.
std::string_view CapabilityFor(std::string_view method) {
  if (method == "elicitation/create") return "elicitation";
  if (method == "sampling/createMessage") return "sampling";
  if (method == "roots/list") return "roots";
  return {};
}

}  // namespace

json::object Context::Ask(std::vector<std::pair<std::string, InputRequest>> questions) {
  for (const auto& [key, request] : questions) {
    const std::string_view capability = CapabilityFor(request.method);
    if (capability.empty()) {
      throw Error(ErrorCode::kInvalidParams, "Cannot ask the client with method " + request.method);
    }
    if (!client_capabilities().contains(capability)) {
      throw Error(ErrorCode::kMissingCapability, "Client capability required: " + std::string(capability),
                  json::object{{"requiredCapabilities", json::object{{capability, json::object()}}}});
    }
  }
  json::object answers;
  if (state_->stateless()) {
    // Answers are results (objects); anything else under a key is no answer,
    // and the question is asked again.
    bool missing = false;
    for (auto& [key, request] : questions) {
      if (const json::value* a = state_->input_answers().if_contains(key); a && a->is_object()) {
        answers[key] = *a;
        continue;
      }
      state_->input_asked()[key] = json::object{{"method", request.method}, {"params", std::move(request.params)}};
      missing = true;
    }
    if (missing) throw InputRequired{};
    return answers;
  }
  for (auto& [key, request] : questions) {
    ClientResponse r = RequestClientSync(request.method, std::move(request.params));
    if (!r.ok) {
      throw Error(r.error_code != 0 ? r.error_code : ErrorCode::kInternalError,
                  r.error_message.empty() ? "The client did not answer " + request.method : r.error_message);
    }
    answers[key] = std::move(r.result);
  }
  return answers;
}

json::value Context::Ask(const std::string& key, InputRequest request) {
  std::vector<std::pair<std::string, InputRequest>> one;
  one.emplace_back(key, std::move(request));
  json::object answers = Ask(std::move(one));
  return std::move(answers[key]);
}

void Context::CloseStream() { state_->DisconnectStream(); }

void Context::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  state_->engine().After(delay, std::move(fn));
}

Server& Context::server() const { return state_->engine().server(); }

}  // namespace mcpx
