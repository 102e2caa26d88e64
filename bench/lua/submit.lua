-- Comment submission: a JSON POST with a different address, body and client IP every time,
-- so neither the duplicate check nor the per-client limits (the rate limit, the flood check)
-- fold or refuse them: a flood from many readers, as a real one would be. The server must
-- trust one proxy (TRUSTED_PROXIES=1) to take the client IP from X-Forwarded-For.
-- The path comes from the URL given to wrk.

local counter = 0
local nonce = 0
local first_ip = 0

-- From the kernel, not the clock: two wrk processes started in the same second (one per
-- instance, bench/two_instances.py) must not send the same comments.
local function random_seed()
  local urandom = assert(io.open("/dev/urandom", "rb"))
  local bytes = urandom:read(4)
  urandom:close()
  local seed = 0
  for i = 1, 4 do
    seed = seed * 256 + bytes:byte(i)
  end
  return seed
end

function init(args)
  math.randomseed(random_seed())
  nonce = math.random(1, 1000000000)
  first_ip = math.random(0, 16777215)
end

local function client_ip(n)
  local ip = (first_ip + n) % 16777216
  return string.format("10.%d.%d.%d", math.floor(ip / 65536), math.floor(ip / 256) % 256, ip % 256)
end

function request()
  counter = counter + 1
  local tag = string.format("%d-%d-%d", thread_id, nonce, counter)
  local body = string.format(
    '{"name":"Bench %d","email":"bench-%s@example.org","body":"Load test comment %s: '
      .. 'does the *feed* stay fast while people write? See https://example.org/%d"}',
    thread_id, tag, tag, counter
  )
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = client_ip(counter),
  }
  return wrk.format("POST", nil, headers, body)
end
