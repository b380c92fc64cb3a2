// Replaced by the token validator.
namespace mcpx::auth {}
