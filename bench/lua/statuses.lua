-- Counts the HTTP status of every response and prints the totals when the run ends,
-- one "status <code> <count>" line each, so run.py can tell a 304 from a 200 and a 201
-- from a 4xx (wrk itself only counts statuses of 400 and up, and only in total).
--
-- run.py puts this in front of every scenario's own script. A scenario script may define
-- `init(args)` and `request()`; it must not redefine `setup`, `response` or `done`, and can
-- read the global `thread_id` (1, 2, ...) that `setup` gives each thread.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  for status, count in pairs(totals) do
    io.write(string.format("status %d %d\n", status, count))
  end
end
