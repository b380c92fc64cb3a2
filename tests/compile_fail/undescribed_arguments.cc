// Must not compile: a typed tool's argument type that is not described.
#include "mcpx/typed.h"

struct Args {
  double x;
};

mcpx::Tool tool = mcpx::MakeTool<Args>({.name = "t"}, [](const Args&) { return std::string("x"); });
