#include "engine/client_init_interner.h"

#include <gtest/gtest.h>

namespace mcpx::engine {
namespace {

ClientInit Init(std::string_view name, std::string_view version = "2025-11-25") {
  return ClientInit{std::string(version), json::object{{"name", name}, {"version", "1"}},
                    json::object{{"roots", {{"listChanged", true}}}}};
}

TEST(ClientInitInterner, EqualDeclarationsShareOneCopy) {
  ClientInitInterner interner;
  auto a = interner.Intern(Init("claude"));
  auto b = interner.Intern(Init("claude"));
  auto c = interner.Intern(Init("cursor"));
  auto d = interner.Intern(Init("claude", "2025-06-18"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  EXPECT_EQ(a->client_info.at("name").as_string(), "claude");
  EXPECT_EQ(interner.size(), 3u);
}

TEST(ClientInitInterner, ABoundedTableFallsBackToPrivateCopies) {
  ClientInitInterner interner(/*max_entries=*/2, /*max_key_bytes=*/200);
  auto a = interner.Intern(Init("a"));
  auto b = interner.Intern(Init("b"));
  auto c1 = interner.Intern(Init("c"));
  auto c2 = interner.Intern(Init("c"));
  EXPECT_NE(c1, c2);  // the table is full of live entries: private copies
  EXPECT_EQ(interner.size(), 2u);
  a.reset();  // an entry whose sessions are gone makes room
  auto c3 = interner.Intern(Init("c"));
  EXPECT_EQ(c3, interner.Intern(Init("c")));
  EXPECT_EQ(interner.size(), 2u);
  // Too large to track: never interned.
  auto big1 = interner.Intern(Init(std::string(300, 'x')));
  auto big2 = interner.Intern(Init(std::string(300, 'x')));
  EXPECT_NE(big1, big2);
  EXPECT_EQ(*big1->client_info.at("name").if_string(), std::string(300, 'x'));
}

// Once no session holds a declaration, the next client declaring it gets a
// fresh shared copy through the same entry.
TEST(ClientInitInterner, AnEntryNoSessionHoldsIsMadeAgain) {
  ClientInitInterner interner;
  interner.Intern(Init("a")).reset();
  auto again = interner.Intern(Init("a"));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->client_info.at("name").as_string(), "a");
  EXPECT_EQ(again, interner.Intern(Init("a")));
  EXPECT_EQ(interner.size(), 1u);
}

}  // namespace
}  // namespace mcpx::engine
