// The cost of one ValidateJwt per algorithm (signature check plus header and
// claims parsing), and of reading a JWKS. Prints numbers; asserts nothing.
//   build/<dir>/tests/auth/auth_validate_bench
#include <benchmark/benchmark.h>

#include "auth/jwt_validator.h"
#include "test_jose.h"

namespace mcpx::auth {
namespace {

constexpr std::int64_t kNow = 1'750'000'000;

struct Fixture {
  testing::Pkey rsa = testing::NewRsaKey();
  testing::Pkey ec = testing::NewEcP256Key();
  testing::Pkey ed = testing::NewEd25519Key();
  std::string jwks = testing::Jwks({testing::PublicJwk(rsa.get(), "r"), testing::PublicJwk(ec.get(), "e"),
                                    testing::PublicJwk(ed.get(), "o")});
  KeySet keys = KeySet::FromJwks(jwks).value();
  ValidatorOptions options{.issuer = "https://as.example.com", .audience = "https://mcp.example.com/mcp"};
  json::object claims{{"iss", "https://as.example.com"}, {"aud", "https://mcp.example.com/mcp"},
                      {"sub", "user-1"}, {"client_id", "app-1"}, {"exp", kNow + 600}, {"iat", kNow},
                      {"scope", "tools:read tools:call"}};
};
Fixture& F() {
  static Fixture f;
  return f;
}

void BM_ValidateJwt(benchmark::State& state, const char* alg, const char* kid) {
  Fixture& f = F();
  EVP_PKEY* key = kid[0] == 'r' ? f.rsa.get() : kid[0] == 'e' ? f.ec.get() : f.ed.get();
  const std::string token = testing::Sign(key, alg, kid, f.claims, {{"typ", "at+jwt"}});
  for (auto _ : state) {
    auto r = ValidateJwt(token, f.keys, f.options, kNow);
    if (!r) state.SkipWithError("token refused");
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(std::to_string(token.size()) + "-byte token");
}
BENCHMARK_CAPTURE(BM_ValidateJwt, RS256, "RS256", "r")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ValidateJwt, ES256, "ES256", "e")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ValidateJwt, EdDSA, "EdDSA", "o")->Unit(benchmark::kMicrosecond);

// Refused before any public-key operation: what a flood of junk costs.
void BM_RefuseUnknownKid(benchmark::State& state) {
  Fixture& f = F();
  const std::string token = testing::Sign(f.ed.get(), "EdDSA", "nope", f.claims);
  for (auto _ : state) benchmark::DoNotOptimize(ValidateJwt(token, f.keys, f.options, kNow));
}
BENCHMARK(BM_RefuseUnknownKid)->Unit(benchmark::kMicrosecond);

void BM_KeySetFromJwks(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) benchmark::DoNotOptimize(KeySet::FromJwks(f.jwks));
}
BENCHMARK(BM_KeySetFromJwks)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mcpx::auth

BENCHMARK_MAIN();
