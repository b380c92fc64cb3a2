// Result<T, E>: a value or an error code, for functions fed untrusted input
// (tokens, JWKS documents, HTTP responses), which never throw. The shape of
// C++23's std::expected, reduced to what src/auth needs.
//
//   Result<Principal, TokenError> r = ValidateJwt(token, keys, options, now);
//   if (!r) return Unauthorized(Describe(r.error()));
//   Use(r->subject);
//
// Thread safety: a value type (thread-compatible).
#pragma once

#include <utility>
#include <variant>

namespace mcpx::auth {

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : v_(std::in_place_index<1>, error) {}              // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Calling these on an error (or error() on a value) is a programming error:
  // std::get throws std::bad_variant_access, never silently reads garbage.
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const& { return value(); }
  E error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace mcpx::auth
