-- Shared by every benchmark script: after the run, print one machine-readable line with the
-- exact counts and latency percentiles (microseconds), so the harness never has to parse
-- wrk's human-oriented, unit-suffixed text. Scripts that check answers count refusals in a
-- per-thread global `app_errors` (an API answering HTTP 200 with an errcode is no success);
-- scripts that send single-use inputs set a per-thread global `ran_out` when none are left.
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

done = function(summary, latency, requests)
  local app_errors = 0
  local ran_out = 0
  for _, thread in ipairs(threads) do
    app_errors = app_errors + (thread:get("app_errors") or 0)
    if (thread:get("ran_out") or 0) > 0 then
      ran_out = 1
    end
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT {\"requests\":%d,\"duration_us\":%d,\"status_errors\":%d," ..
    "\"socket_errors\":%d,\"app_errors\":%d,\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d," ..
    "\"max_us\":%d,\"ran_out\":%d}\n",
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout, app_errors,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, ran_out))
end
