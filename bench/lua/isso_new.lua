-- Isso's `POST /new?uri=…`: a new comment with a different author, address and text every
-- time, as bench/lua/submit.lua does for commentdesk. The thread exists already (seeded
-- with a title, so Isso does not fetch the page). The path comes from the URL given to wrk.

local counter = 0
local nonce = 0

function init(args)
  local urandom = assert(io.open("/dev/urandom", "rb"))
  local bytes = urandom:read(4)
  urandom:close()
  local seed = 0
  for i = 1, 4 do
    seed = seed * 256 + bytes:byte(i)
  end
  math.randomseed(seed)
  nonce = math.random(1, 1000000000)
end

function request()
  counter = counter + 1
  local tag = string.format("%d-%d-%d", thread_id, nonce, counter)
  local body = string.format(
    '{"author":"Bench %d","email":"bench-%s@example.org","text":"Load test comment %s: '
      .. 'does the *feed* stay fast while people write? See https://example.org/%d"}',
    thread_id, tag, tag, counter
  )
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
