// Matching resource URIs against simple URI templates ({name} expressions).
#include <gtest/gtest.h>

#include "engine/catalog.h"

namespace mcpx::engine {
namespace {

TEST(MatchUriTemplate, BindsEachVariableUpToTheNextLiteral) {
  std::map<std::string, std::string> vars;
  ASSERT_TRUE(MatchUriTemplate("file:///{dir}/{name}.txt", "file:///docs/readme.txt", vars));
  EXPECT_EQ(vars, (std::map<std::string, std::string>{{"dir", "docs"}, {"name", "readme"}}));
  EXPECT_FALSE(MatchUriTemplate("file:///{dir}/{name}.txt", "file:///a/b/c.txt", vars));
  EXPECT_FALSE(MatchUriTemplate("res://{id}", "res://", vars));
  EXPECT_FALSE(MatchUriTemplate("res://{id", "res://x", vars));
}

// Found by fuzz_uri_template: "{a}/{a}" matched "x/y" with a = "y".
TEST(MatchUriTemplate, ARepeatedVariableMustMatchTheSameText) {
  std::map<std::string, std::string> vars;
  EXPECT_FALSE(MatchUriTemplate("{a}/{a}", "x/y", vars));
  ASSERT_TRUE(MatchUriTemplate("{a}/{a}", "x/x", vars));
  EXPECT_EQ(vars.at("a"), "x");
}

}  // namespace
}  // namespace mcpx::engine
