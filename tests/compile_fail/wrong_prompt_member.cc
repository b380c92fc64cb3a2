// Must not compile: prompt arguments are strings.
#include "mcpx/typed.h"

struct Args {
  int count;
};
BOOST_DESCRIBE_STRUCT(Args, (), (count))

mcpx::Prompt prompt = mcpx::MakePrompt<Args>({.name = "p"}, [](const Args&) { return std::string("x"); });
