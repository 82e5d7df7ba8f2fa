-- Send the requests of a file, each once, in order: for single-use values (launch codes)
-- that must never be sent twice. BENCH_REQUESTS names the file; each line is
--   METHOD <TAB> PATH <TAB> BODY        (BODY may be empty)
-- BENCH_CONTENT_TYPE is the body's media type. When the file runs out the thread stops, so
-- no code is ever replayed; wrk idles for the rest of the run, and the harness marks such a
-- run invalid (``ran_out``; it makes more inputs than one core serves, so that should not
-- happen).
-- Answers carrying a non-zero "errcode" count as app_errors.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local lines = {}
local next_line = 1
app_errors = 0
ran_out = 0

init = function(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    lines[#lines + 1] = line
  end
end

request = function()
  local line = lines[next_line]
  if line == nil then
    ran_out = 1
    wrk.thread:stop()
    return wrk.format("GET", "/.well-known/openid-configuration")
  end
  next_line = next_line + 1
  local method, path, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
  local headers = {}
  if body ~= "" then
    headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")
  else
    body = nil
  end
  return wrk.format(method, path, headers, body)
end

response = function(status, headers, body)
  if body:find('"errcode":%s*[1-9%-]') then
    app_errors = app_errors + 1
  end
end
