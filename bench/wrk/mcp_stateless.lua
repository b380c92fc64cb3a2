-- wrk script: POSTs one stateless MCP 2026-07-28 tools/call per request (no
-- session): the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers, the
-- revision and client capabilities in params._meta, and a fresh request id
-- each time. Arguments: the tool name, then the JSON of its arguments.
--   wrk ... -s mcp_stateless.lua <url> -- echo '{"text":"hello"}'
local tool = "echo"
local arguments = "{}"
local counter = 0
local threads = 0
local meta = '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
             '"io.modelcontextprotocol/clientCapabilities":{},' ..
             '"io.modelcontextprotocol/clientInfo":{"name":"wrk","version":"1"}}'

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  tool = args[1] or tool
  arguments = args[2] or arguments
end

function request()
  counter = counter + 1
  local id = string.format("%d", (tid or 0) * 1000000000 + counter)
  local body = '{"jsonrpc":"2.0","id":' .. id .. ',"method":"tools/call","params":{"name":"' .. tool ..
               '","arguments":' .. arguments .. ',' .. meta .. '}}'
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
    ["MCP-Protocol-Version"] = "2026-07-28",
    ["Mcp-Method"] = "tools/call",
    ["Mcp-Name"] = tool,
  }, body)
end
