// An asynchronous tool with progress and cancellation: it holds no thread
// while it waits (Context::After), reports progress to clients that asked for
// it (a progressToken), and stops when the client cancels.
#include <chrono>
#include <memory>

#include "mcpx/serve.h"
#include "mcpx/typed.h"

namespace example {

struct CountdownArgs {
  int from = 5;
  int step_ms = 200;
};
BOOST_DESCRIBE_STRUCT(CountdownArgs, (), (from, step_ms))

inline mcpx::FieldDocs McpxFields(const CountdownArgs*) {
  return {{"from", {.description = "Where to count down from", .minimum = 1, .maximum = 100, .required = false}},
          {"step_ms", {.description = "Milliseconds per step", .minimum = 1, .maximum = 5000, .required = false}}};
}

struct Countdown {
  int counted;
  bool cancelled;
};
BOOST_DESCRIBE_STRUCT(Countdown, (), (counted, cancelled))

// One step of the countdown; schedules the next one until done or cancelled.
void Step(mcpx::Context ctx, CountdownArgs args, int done, mcpx::Reply<Countdown> reply) {
  if (ctx.cancelled()) {
    reply(Countdown{.counted = done, .cancelled = true});  // not sent: a cancelled request gets no answer
    return;
  }
  if (done == args.from) {
    reply(Countdown{.counted = done, .cancelled = false});
    return;
  }
  ctx.Progress(done + 1, args.from, "T-minus " + std::to_string(args.from - done - 1));
  ctx.After(std::chrono::milliseconds(args.step_ms),
            [ctx, args, done, reply] { Step(ctx, args, done + 1, reply); });
}

}  // namespace example

int main(int argc, char** argv) {
  mcpx::Server server({.name = "async-progress-example"});
  server.AddTool(mcpx::MakeAsyncTool<example::CountdownArgs, example::Countdown>(
      {.name = "countdown", .description = "Counts down, reporting progress; cancel it to stop early"},
      [](mcpx::Context ctx, example::CountdownArgs args, mcpx::Reply<example::Countdown> reply) {
        example::Step(std::move(ctx), args, 0, std::move(reply));
      }));
  return mcpx::ServeMain(server, argc, argv);
}
