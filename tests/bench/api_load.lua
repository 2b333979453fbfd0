-- wrk script for POST /api/v1/redemptions: every request carries its own Idempotency-Key
-- (thread, counter and a per-thread random prefix), so each one is a real redemption and not
-- a replay, and rotates over the vouchers in GALERI_CODES (comma-separated).
-- Environment: GALERI_CODES, GALERI_TOKEN, GALERI_SKU.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  codes = {}
  for code in string.gmatch(os.getenv("GALERI_CODES") or "", "[^,]+") do
    table.insert(codes, code)
  end
  token = os.getenv("GALERI_TOKEN") or ""
  sku = os.getenv("GALERI_SKU") or ""
  math.randomseed(os.time() + id * 7919)
  prefix = string.format("bench-%d-%d-", id, math.random(1, 1000000000))
  counter = 0
  created = 0
  refused = 0
  other = 0
end

function request()
  counter = counter + 1
  local code = codes[(counter + id) % #codes + 1]
  local body = string.format('{"code":"%s","items":[{"sku":"%s","qty":1}]}', code, sku)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = prefix .. counter,
  }
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 422 then
    refused = refused + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_created, total_refused, total_other = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_created = total_created + thread:get("created")
    total_refused = total_refused + thread:get("refused")
    total_other = total_other + thread:get("other")
  end
  io.write(string.format("statuses: 201=%d 422=%d other=%d\n", total_created, total_refused, total_other))
  io.write(string.format("p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f rps=%.0f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests / (summary.duration / 1000000)))
end
