-- wrk script for scripts/bench: POSTs one small JSON event per request (or a batch of
-- BENCH_BATCH events to Logdeck's :batch endpoint), rotating over the API keys in
-- BENCH_KEYS (comma-separated; empty for nginx, which has no authentication). At the end
-- it prints one JSON line, prefixed with "BENCH_JSON ", that scripts/bench parses.
local keys = {}
for k in string.gmatch(os.getenv("BENCH_KEYS") or "", "[^,]+") do keys[#keys + 1] = k end
local batch = tonumber(os.getenv("BENCH_BATCH") or "1")
-- occurredAt is the time the script starts: a fixed date would fall out of the groups'
-- dedup window after a week, and pruning would then run during the benchmark.
local event = '{"campaignId":"c-1","type":"click","occurredAt":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ") .. '",'
           .. '"attributes":{"page":"/pricing","ref":"newsletter"}}'

local ctype = "application/json"
local body = event
if batch > 1 then
  local parts = {}
  for i = 1, batch do parts[i] = event end
  body = '{"events":[' .. table.concat(parts, ",") .. ']}'
end

local path = os.getenv("BENCH_PATH") or "/v1/events"
local reqs = {}
local counter = 0

function init(args)
  -- Pre-build one request per key so request() does no work on the hot path.
  if #keys == 0 then
    reqs[1] = wrk.format("POST", path, {["Content-Type"] = ctype}, body)
  else
    for i, k in ipairs(keys) do
      reqs[i] = wrk.format("POST", path,
        {["Content-Type"] = ctype, ["Authorization"] = "Bearer " .. k}, body)
    end
  end
end

function request()
  counter = counter + 1
  return reqs[(counter % #reqs) + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationSeconds":%.3f,"requestsPerSecond":%.1f,' ..
    '"eventsPerRequest":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d},"latencyMs":{"p50":%.3f,"p95":%.3f,"p99":%.3f,' ..
    '"max":%.3f,"mean":%.3f}}\n',
    summary.requests, secs, summary.requests / secs, batch, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
