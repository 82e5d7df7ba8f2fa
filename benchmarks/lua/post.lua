-- POST the same body to the URL given on wrk's command line.
--   BENCH_BODY           the request body
--   BENCH_CONTENT_TYPE   its media type
--   BENCH_AUTHORIZATION  an Authorization header value (optional)
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")
local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization ~= nil and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end
