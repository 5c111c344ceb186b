-- wrk script of bench/run.py: one request shape per run, read from files it writes.
--   BENCH_METHOD        GET or POST
--   BENCH_HEADERS_FILE  "Name: value" per line (the trusted proxy's headers included)
--   BENCH_BODIES_FILE   optional: one form body per line; thread i of n takes lines i, i+n...
--                       (each carries a single-use client assertion: never sent twice)
-- done() prints one JSON line: requests, seconds, latency percentiles (ms), statuses.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_index", counter)
  table.insert(threads, thread)
end

local function lines(path)
  local found = {}
  local file = assert(io.open(path, "r"))
  for line in file:lines() do
    if line ~= "" then table.insert(found, line) end
  end
  file:close()
  return found
end

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  headers = {}
  for _, line in ipairs(lines(os.getenv("BENCH_HEADERS_FILE"))) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  bodies = {}
  local bodies_file = os.getenv("BENCH_BODIES_FILE")
  if bodies_file and bodies_file ~= "" then
    local all = lines(bodies_file)
    local step = tonumber(os.getenv("BENCH_THREADS") or "1")
    for i = thread_index, #all, step do table.insert(bodies, all[i]) end
  end
  next_body = 1
  statuses = {}
  exhausted = 0
end

function request()
  if #bodies > 0 then
    local body = bodies[next_body]
    if next_body < #bodies then next_body = next_body + 1 else exhausted = exhausted + 1 end
    return wrk.format(method, nil, headers, body)
  end
  return wrk.format(method, nil, headers, nil)
end

function response(status, response_headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  local reused = 0
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do merged[status] = (merged[status] or 0) + n end
    reused = reused + (thread:get("exhausted") or 0)
  end
  local parts = {}
  for status, n in pairs(merged) do table.insert(parts, string.format('"%s": %d', status, n)) end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p95_ms": %.3f, ' ..
    '"p99_ms": %.3f, "max_ms": %.3f, "statuses": {%s}, "socket_errors": %d, ' ..
    '"timeouts": %d, "bodies_reused": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    table.concat(parts, ", "), errors.connect + errors.read + errors.write, errors.timeout,
    reused))
end
