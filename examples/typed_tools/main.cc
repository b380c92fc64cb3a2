// Typed tools: the input schema, the argument parsing and the structured
// result all come from described structs (mcpx/typed.h).
//
//   ./typed_tools_server              over stdio
//   ./typed_tools_server --http 8080  over HTTP on 127.0.0.1:8080/mcp
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "mcpx/serve.h"
#include "mcpx/typed.h"

namespace weather {

enum class Units { celsius, fahrenheit };
BOOST_DESCRIBE_ENUM(Units, celsius, fahrenheit)

struct ForecastArgs {
  std::string city;
  int days = 3;
  Units units = Units::celsius;
};
BOOST_DESCRIBE_STRUCT(ForecastArgs, (), (city, days, units))

inline mcpx::FieldDocs McpxFields(const ForecastArgs*) {
  return {{"city", {.description = "City name, e.g. Oslo", .min_length = 1}},
          {"days", {.description = "Days ahead", .minimum = 1, .maximum = 7, .required = false}},
          {"units", {.description = "Temperature units", .required = false}}};
}

struct Day {
  int day;
  double high;
  double low;
  std::optional<std::string> warning;
};
BOOST_DESCRIBE_STRUCT(Day, (), (day, high, low, warning))

struct Forecast {
  std::string city;
  Units units;
  std::vector<Day> days;
};
BOOST_DESCRIBE_STRUCT(Forecast, (), (city, units, days))

struct AddArgs {
  double a;
  double b;
};
BOOST_DESCRIBE_STRUCT(AddArgs, (), (a, b))

Forecast MakeForecast(const ForecastArgs& in) {
  if (in.city == "Atlantis") throw mcpx::ToolError("No weather station in Atlantis: try a city on land");
  Forecast out{.city = in.city, .units = in.units};
  for (int d = 1; d <= in.days; ++d) {
    double high = 12 + 3 * std::sin(d + static_cast<double>(in.city.size()));
    if (in.units == Units::fahrenheit) high = high * 9 / 5 + 32;
    out.days.push_back({.day = d, .high = std::round(high * 10) / 10, .low = std::round(high * 7) / 10});
  }
  if (!out.days.empty()) out.days.back().warning = "Less certain this far ahead";
  return out;
}

}  // namespace weather

int main(int argc, char** argv) {
  mcpx::Server server({.name = "typed-tools-example"});
  server.AddTool(mcpx::MakeTool<weather::AddArgs>({.name = "add", .description = "Adds two numbers"},
                                                  [](const weather::AddArgs& in) { return in.a + in.b; }));
  server.AddTool(mcpx::MakeTool<weather::ForecastArgs>(
      {.name = "forecast", .description = "Daily highs and lows for a city"}, weather::MakeForecast));
  return mcpx::ServeMain(server, argc, argv);
}
