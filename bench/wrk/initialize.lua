-- wrk script: creates sessions as fast as it can. Each response's session id
-- is queued and the next request sends notifications/initialized for it, so
-- every session ends up initialized.
local queue = {}
local init_body = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",'
  .. '"capabilities":{},"clientInfo":{"name":"wrk","version":"1"}}}'
local headers = {
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/json, text/event-stream",
}

function request()
  local sid = table.remove(queue)
  if sid then
    return wrk.format("POST", nil, {
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json, text/event-stream",
      ["Mcp-Session-Id"] = sid,
      ["MCP-Protocol-Version"] = "2025-11-25",
    }, '{"jsonrpc":"2.0","method":"notifications/initialized"}')
  end
  return wrk.format("POST", nil, headers, init_body)
end

function response(status, hdrs, body)
  local sid = hdrs["mcp-session-id"] or hdrs["Mcp-Session-Id"]
  if sid then queue[#queue + 1] = sid end
end
