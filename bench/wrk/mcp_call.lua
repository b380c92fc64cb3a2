-- wrk script: POSTs one JSON-RPC request per call, rotating over the session
-- ids listed (one per line) in the file named by the first script argument,
-- with a fresh request id each time. The second argument is the JSON of
-- "params" after "method"; the third the method (default tools/call).
--   wrk ... -s mcp_call.lua <url> -- sessions.txt '{"name":"echo","arguments":{"text":"hi"}}'
-- With MCPX_BEARER set in the environment, each request carries that token.
local sessions = {}
local params = "{}"
local method = "tools/call"
local n = 0
local counter = 0
local threads = 0

-- Runs in the main Lua state: give every thread its own id, so that request
-- ids (thread id * 1e9 + counter) never collide within a session.
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then sessions[#sessions + 1] = line end
  end
  params = args[2] or params
  method = args[3] or method
  n = #sessions
  -- Spread threads over different sessions.
  counter = (tid or 0) * 7919
end

local bearer = os.getenv("MCPX_BEARER")

function request()
  counter = counter + 1
  local sid = sessions[(counter % n) + 1]
  local id = string.format("%d", (tid or 0) * 1000000000 + counter)
  local body = '{"jsonrpc":"2.0","id":' .. id .. ',"method":"' .. method .. '","params":' .. params .. '}'
  local headers = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
    ["Mcp-Session-Id"] = sid,
    ["MCP-Protocol-Version"] = "2025-11-25",
  }
  if bearer then headers["Authorization"] = "Bearer " .. bearer end
  return wrk.format("POST", nil, headers, body)
end
