// Must not compile: a member of a type mcpx cannot map (a struct without
// BOOST_DESCRIBE_STRUCT). The error must say so in a sentence.
#include "mcpx/typed.h"

struct Point {  // not described
  double x;
  double y;
};

struct Args {
  Point where;
};
BOOST_DESCRIBE_STRUCT(Args, (), (where))

mcpx::Tool tool = mcpx::MakeTool<Args>({.name = "t"}, [](const Args&) { return std::string("x"); });
