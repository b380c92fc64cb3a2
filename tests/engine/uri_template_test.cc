// Matching resource URIs against URI templates ({name} and {+name} expressions).
#include <gtest/gtest.h>

#include "engine/uri_template.h"

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

TEST(MatchUriTemplate, ReservedExpansionSpansSlashesUpToTheTrailingLiteral) {
  std::map<std::string, std::string> vars;
  ASSERT_TRUE(MatchUriTemplate("repo://{owner}/{+path}", "repo://ada/src/engine/a.cc", vars));
  EXPECT_EQ(vars, (std::map<std::string, std::string>{{"owner", "ada"}, {"path", "src/engine/a.cc"}}));
  ASSERT_TRUE(MatchUriTemplate("file:///{+path}.md", "file:///docs/a.b.md", vars));
  EXPECT_EQ(vars.at("path"), "docs/a.b");
  EXPECT_FALSE(MatchUriTemplate("file:///{+path}.md", "file:///.md", vars));
  EXPECT_FALSE(MatchUriTemplate("file:///{+path}.md", "file:///docs/a.txt", vars));
}

TEST(MatchUriTemplate, ValuesArePercentDecoded) {
  std::map<std::string, std::string> vars;
  ASSERT_TRUE(MatchUriTemplate("notes://{title}", "notes://hello%20world%2Fx", vars));
  EXPECT_EQ(vars.at("title"), "hello world/x");
  ASSERT_TRUE(MatchUriTemplate("files://{+path}", "files://a%2fb/c%C3%A9", vars));
  EXPECT_EQ(vars.at("path"), "a/b/c\xC3\xA9");
  EXPECT_FALSE(MatchUriTemplate("notes://{title}", "notes://bad%2", vars));
  EXPECT_FALSE(MatchUriTemplate("notes://{title}", "notes://bad%zz", vars));
}

TEST(CheckUriTemplate, NamesWhatCannotWork) {
  EXPECT_EQ(CheckUriTemplate("file:///{dir}/{+path}"), "");
  EXPECT_NE(CheckUriTemplate(""), "");
  EXPECT_NE(CheckUriTemplate("res://{id").find("no closing"), std::string::npos);
  EXPECT_NE(CheckUriTemplate("res://id}").find("closes no expression"), std::string::npos);
  EXPECT_NE(CheckUriTemplate("res://{?q}").find("not supported"), std::string::npos);
  EXPECT_NE(CheckUriTemplate("res://{}").find("names no variable"), std::string::npos);
  EXPECT_NE(CheckUriTemplate("res://{a b}").find("may hold only"), std::string::npos);
  EXPECT_NE(CheckUriTemplate("res://{+a}/{b}").find("only literal text"), std::string::npos);
  EXPECT_NE(CheckUriTemplate("res://{a}{b}").find("ambiguous"), std::string::npos);
  std::map<std::string, std::string> vars;
  EXPECT_FALSE(MatchUriTemplate("res://{+a}/{b}", "res://x/y", vars));
}

}  // namespace
}  // namespace mcpx::engine
