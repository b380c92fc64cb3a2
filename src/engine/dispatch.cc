#include <utility>

#include "engine/engine.h"
#include "engine/methods/methods.h"
#include "mcpx/error.h"
#include "observe/log.h"
#include "protocol/json_walk.h"
#include "protocol/meta.h"

namespace mcpx::engine {

// --- Messages ------------------------------------------------------------------

void Engine::HandleMessage(const SessionPtr& session, protocol::Message message,
                           std::shared_ptr<Channel> channel, const std::shared_ptr<RequestScope>& scope,
                           std::string_view peer, PrincipalPtr principal) {
  switch (message.kind) {
    case protocol::MessageKind::kRequest:
      HandleRequest(session, message, std::move(channel), scope, peer, std::move(principal));
      return;
    case protocol::MessageKind::kNotification:
      HandleNotification(session, message, scope);
      return;
    case protocol::MessageKind::kResponse:
    case protocol::MessageKind::kErrorResponse:
      HandleClientResponse(session, message);
      return;
  }
}

void Engine::HandleNotification(const SessionPtr& session, const protocol::Message& message,
                                const std::shared_ptr<RequestScope>& scope) {
  if (!session && !scope) return;
  if (message.method == "notifications/initialized") {
    if (session) session->MarkReady();
  } else if (message.method == "notifications/cancelled") {
    const auto* id = message.params.if_contains("requestId");
    if (!id) return;
    const std::string key = protocol::IdKey(*id);
    if (auto request = session ? session->FindRequest(key) : scope->Find(key)) {
      // The client no longer wants the answer: no response is sent.
      if (!request->done()) {
        metrics_.CountRequest(observe::MethodIdOf(request->method()), observe::Outcome::kCancelled);
      }
      request->Cancel(/*drop_response=*/true);
    }
  }
  // Other notifications (roots/list_changed, progress) need no action here.
}

void Engine::HandleClientResponse(const SessionPtr& session, const protocol::Message& message) {
  if (!session || !message.id.is_int64()) return;
  Session::ClientCallback callback = session->TakePendingClientRequest(message.id.get_int64());
  if (!callback) return;  // late or unknown answer: dropped
  ClientResponse response;
  if (message.kind == protocol::MessageKind::kResponse) {
    response.ok = true;
    response.result = message.result;
  } else {
    if (const auto* code = message.error.if_contains("code"); code && code->is_int64()) {
      response.error_code = static_cast<int>(code->get_int64());
    }
    if (const auto* msg = message.error.if_contains("message"); msg && msg->is_string()) {
      response.error_message = std::string(msg->get_string());
    }
  }
  callback(std::move(response));
}

void Engine::RequestClient(const SessionPtr& session, Channel* via, std::string method,
                           json::object params, std::function<void(ClientResponse)> done,
                           std::chrono::milliseconds timeout, bool complete_inline) {
  // Whoever takes the callback out of the pending table runs it: the answer,
  // the timeout, or the session's end. So it runs exactly once.
  Session::ClientCallback callback;
  if (complete_inline) {
    callback = std::move(done);
  } else {
    callback = [this, done = std::move(done)](ClientResponse r) mutable {
      Post([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    };
  }
  if (!session || session->state() == SessionState::kClosed) {
    callback(ClientResponse{false, nullptr, ErrorCode::kInternalError, "no session"});
    return;
  }
  const std::int64_t id = session->NextClientRequestId();
  session->AddPendingClientRequest(id, std::move(callback));
  if (timeout.count() <= 0) timeout = options_.client_request_timeout;
  std::weak_ptr<Session> weak = session;
  AfterOnIo(timeout, [weak, id] {
    if (auto s = weak.lock()) {
      if (auto cb = s->TakePendingClientRequest(id)) {
        cb(ClientResponse{false, nullptr, ErrorCode::kRequestTimeout, "client did not answer in time"});
      }
    }
  });
  std::string message = protocol::SerializeRequest(id, method, params);
  Channel* channel = via ? via : session->standalone();
  if (channel) channel->Send(std::move(message), false);
}

bool Engine::NotifySession(const SessionPtr& session, std::string_view method,
                           const json::object& params) {
  if (!session || session->state() == SessionState::kClosed) return false;
  if (Channel* channel = session->standalone()) {
    channel->Send(protocol::SerializeNotification(method, params), false);
  }
  return true;
}

void Engine::NotifyAll(std::string_view method, const json::object& params) {
  const std::string message = protocol::SerializeNotification(method, params);
  sessions_.ForEach([&message](const SessionPtr& s) {
    if (s->state() != SessionState::kReady) return true;
    if (Channel* channel = s->standalone()) channel->Send(message, false);
    return true;
  });
  if (auto kind = ListKindOf(method)) bus_->PublishListChanged(*kind);
}

void Engine::NotifyResourceUpdated(std::string_view uri) { bus_->PublishResourceUpdated(uri); }

std::shared_ptr<Subscriber> Engine::SubscriberOf(const SessionPtr& session) {
  return session->EnsureSubscriber([&session] { return std::make_shared<SessionSubscriber>(session); });
}

bool Engine::AddListen(const std::shared_ptr<ListenSubscriber>& listen) {
  MutexLock lock(&listens_mu_);
  if (listens_.size() >= options_.max_listen_streams || draining()) return false;
  const std::string& peer = listen->request()->peer();
  if (!peer.empty()) {
    std::size_t& from_peer = listens_by_peer_[peer];
    if (from_peer >= options_.max_listen_streams_per_client) {
      if (from_peer == 0) listens_by_peer_.erase(peer);
      return false;
    }
    ++from_peer;
  }
  listens_[listen.get()] = listen;
  metrics_.listen_streams.Add(1);
  return true;
}

void Engine::RemoveListen(const ListenSubscriber* listen) {
  MutexLock lock(&listens_mu_);
  auto it = listens_.find(listen);
  if (it == listens_.end()) return;
  const std::string& peer = it->second->request()->peer();
  if (auto p = listens_by_peer_.find(peer); !peer.empty() && p != listens_by_peer_.end() && --p->second == 0) {
    listens_by_peer_.erase(p);
  }
  listens_.erase(it);
  metrics_.listen_streams.Add(-1);
}

void Engine::EndListen(const std::shared_ptr<ListenSubscriber>& listen) {
  hub_.Remove(*listen);
  Reply(listen->request(), listen->Tagged(json::object()));
  RemoveListen(listen.get());
}

void Engine::EndListens() {
  std::vector<std::shared_ptr<ListenSubscriber>> listens;
  {
    MutexLock lock(&listens_mu_);
    for (auto& [raw, listen] : listens_) listens.push_back(listen);
  }
  for (const auto& listen : listens) EndListen(listen);
}

std::size_t Engine::EndIdleListens() {
  if (options_.listen_idle_timeout.count() <= 0) return 0;
  const std::int64_t cutoff = NowMs() - options_.listen_idle_timeout.count();
  std::vector<std::shared_ptr<ListenSubscriber>> idle;
  {
    // At most max_listen_streams entries, looked at about once a second on a
    // worker.
    MutexLock lock(&listens_mu_);
    for (auto& [raw, listen] : listens_) {
      if (listen->last_active_ms() <= cutoff) idle.push_back(listen);
    }
  }
  for (const auto& listen : idle) EndListen(listen);
  metrics_.listen_idle_ended.Add(idle.size());
  return idle.size();
}

void Engine::Reply(const std::shared_ptr<RequestState>& r, json::value result) {
  // Every 2026-07-28 result says what it is (a handler's own input_required
  // stands) and who the server is (ServerOptions::result_server_info): written
  // after the result's own members, unless it has its own _meta to extend.
  std::string_view extra;
  if (r->stateless() && result.is_object()) {
    json::object& o = result.get_object();
    const bool typed = o.contains("resultType");
    if (json::value* meta = o.if_contains("_meta"); meta && meta->is_object()) {
      if (options_.result_server_info) meta->get_object().emplace(protocol::meta::kServerInfo, ServerInfo());
      if (!typed) o.emplace("resultType", "complete");
    } else if (options_.result_server_info) {
      extra = typed ? std::string_view(server_info_member_) : std::string_view(complete_members_);
    } else if (!typed) {
      extra = R"("resultType":"complete")";
    }
  }
  if (r->CompleteWithResult(result, extra)) {
    metrics_.CountRequest(observe::MethodIdOf(r->method()), observe::Outcome::kOk);
    metrics_.request_latency.Observe(r->ElapsedUs());
  }
}

void Engine::ReplyListText(const std::shared_ptr<RequestState>& r, std::string_view page) {
  if (r->CompleteWithResultText(page, r->stateless() ? std::string_view(list_members_) : std::string_view())) {
    metrics_.CountRequest(observe::MethodIdOf(r->method()), observe::Outcome::kOk);
    metrics_.request_latency.Observe(r->ElapsedUs());
  }
}

void Engine::Fail(const std::shared_ptr<RequestState>& r, int code, std::string_view message,
                  const json::value& data) {
  if (r->CompleteWithError(code, message, data)) {
    metrics_.CountRequest(observe::MethodIdOf(r->method()), observe::Outcome::kError);
    metrics_.request_latency.Observe(r->ElapsedUs());
  }
}

void Engine::HandleRequest(const SessionPtr& session, protocol::Message& message,
                           std::shared_ptr<Channel> channel, const std::shared_ptr<RequestScope>& scope,
                           std::string_view peer, PrincipalPtr principal) {
  // A request without a session is stateless (2026-07-28) when its _meta
  // names its revision (Admit checked the rest); otherwise it is stdio's
  // before initialize, served as the session era.
  const json::value* meta_value = session ? nullptr : message.params.if_contains("_meta");
  const bool stateless = meta_value && meta_value->is_object() &&
                         meta_value->get_object().contains(protocol::meta::kProtocolVersion);
  const methods::MethodEntry* entry = methods::Find(message.method);
  if (entry != nullptr && !(entry->eras & (stateless ? methods::kStateless : methods::kSession))) entry = nullptr;
  if (draining()) {
    return Refuse(message, *channel, entry == nullptr ? observe::MethodId::kOther : entry->id,
                  ErrorCode::kServerOverloaded, "Server shutting down");
  }
  if (entry == nullptr) {
    metrics_.CountRequest(observe::MethodId::kOther, observe::Outcome::kError);
    const bool reinitialize = message.method == "initialize" && !stateless;
    const std::string text = reinitialize
                                 ? "Invalid Request: session already initialized"
                                 : "Method not found: " + message.method;
    const int code = reinitialize ? ErrorCode::kInvalidRequest : ErrorCode::kMethodNotFound;
    channel->Send(protocol::SerializeError(message.id, code, text), true);
    return;
  }
  // What the request makes the server keep is bounded: its _meta (moved
  // out of params, not copied), its progress token, and its bytes in the
  // process-wide budget for as long as it runs.
  json::object meta;
  if (auto* m = message.params.if_contains("_meta"); m && m->is_object()) {
    if (protocol::ApproxBytes(*m, options_.max_meta_bytes) > options_.max_meta_bytes) {
      metrics_.limit_refusals.Add();
      return Refuse(message, *channel, entry->id, ErrorCode::kInvalidParams,
                    "Invalid params: _meta exceeds " + std::to_string(options_.max_meta_bytes) + " bytes");
    }
    meta = std::move(m->get_object());
    if (const auto* token = meta.if_contains("progressToken");
        token && token->is_string() && token->get_string().size() > options_.max_progress_token_bytes) {
      metrics_.limit_refusals.Add();
      return Refuse(message, *channel, entry->id, ErrorCode::kInvalidParams,
                    "Invalid params: progressToken exceeds " +
                        std::to_string(options_.max_progress_token_bytes) + " bytes");
    }
  }
  ByteLease charge(&buffer_budget_);
  if (!charge.Resize(message.wire_bytes * protocol::kTreeBytesPerTextByte)) {
    metrics_.overload_refusals.Add();
    return Refuse(message, *channel, entry->id, ErrorCode::kServerOverloaded,
                  "Server overloaded: memory budget spent; retry later");
  }
  auto request = std::make_shared<RequestState>(this, session, message.id, message.method,
                                                std::move(meta), channel, stateless);
  request->set_charge(std::move(charge));
  // In the registry the watchdog and the drain walk, until it completes.
  inflight_.Add(*request);
  if (session) {
    if (!session->RegisterRequest(request->id_key(), request, options_.max_inflight_per_session)) {
      metrics_.CountRequest(entry->id, observe::Outcome::kError);
      const bool duplicate = session->FindRequest(request->id_key()) != nullptr;
      channel->Send(protocol::SerializeError(
                        message.id, duplicate ? ErrorCode::kInvalidRequest : ErrorCode::kServerOverloaded,
                        duplicate ? "Invalid Request: id already in use"
                                  : "Too many requests in flight for this session"),
                    true);
      return;
    }
    std::weak_ptr<Session> weak = session;
    RequestState* raw = request.get();
    request->set_on_done([this, weak, raw] {
      metrics_.requests_inflight.Add(-1);
      if (auto s = weak.lock()) s->UnregisterRequest(raw->id_key(), raw);
    });
  } else if (stateless && scope) {
    scope->Add(request->id_key(), request);
    RequestState* raw = request.get();
    request->set_on_done([this, scope, raw] {
      metrics_.requests_inflight.Add(-1);
      scope->Remove(raw->id_key(), raw);
    });
  } else {
    request->set_on_done([this] { metrics_.requests_inflight.Add(-1); });
  }
  request->set_principal(std::move(principal));
  if (stateless) {
    request->set_peer(peer);
    // Closing a stateless request's stream cancels it (2026-07-28).
    channel->OnAbandoned([weak = std::weak_ptr<RequestState>(request)] {
      if (auto r = weak.lock()) r->Cancel(/*drop_response=*/true);
    });
  }
  metrics_.requests_inflight.Add(1);
  try {
    entry->fn(*this, request, message.params);
  } catch (const Error& e) {
    Fail(request, e.code(), e.message(), e.data());
  } catch (const ToolError& e) {
    Fail(request, ErrorCode::kInternalError, e.what());
  } catch (const std::exception& e) {
    FailInternal(request, e);
  }
}

void Engine::Refuse(const protocol::Message& message, Channel& channel, observe::MethodId method, int code,
                    std::string_view text) {
  metrics_.CountRequest(method, observe::Outcome::kError);
  channel.Send(protocol::SerializeError(message.id, code, text), true);
}

void Engine::FailInternal(const std::shared_ptr<RequestState>& request, const std::exception& e) {
  observe::Log().warn("{} handler threw: {}", request->method(), e.what());
  Fail(request, ErrorCode::kInternalError,
       options_.expose_exception_messages ? std::string("Internal error: ") + e.what() : "Internal error");
}

void Engine::Run(const std::shared_ptr<RequestState>& request, Execution where,
                 std::function<void(const std::shared_ptr<RequestState>&)> fn) {
  auto task = [this, request, fn = std::move(fn)] {
    if (request->done()) return;  // cancelled while queued
    try {
      fn(request);
    } catch (const InputRequired&) {
      // Context::Ask of a stateless request: the client answers, then retries.
      Reply(request, methods::InputRequiredResult(*this, *request));
    } catch (const Error& e) {
      Fail(request, e.code(), e.message(), e.data());
    } catch (const ToolError& e) {
      Fail(request, ErrorCode::kInternalError, e.what());
    } catch (const std::exception& e) {
      FailInternal(request, e);
    } catch (...) {
      observe::Log().warn("{} handler threw a non-standard exception", request->method());
      Fail(request, ErrorCode::kInternalError, "Internal error");
    }
  };
  if (where == Execution::kInline) {
    task();
  } else if (request->session()) {
    PostForSession(request->session(), std::move(task));
  } else {
    Post(std::move(task));
  }
}


}  // namespace mcpx::engine
