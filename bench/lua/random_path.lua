-- Each request asks for a random one of the paths listed, one a line, in the file named by
-- the global `paths_file` (run.py sets it).

local paths = {}

function init(args)
  for line in io.lines(paths_file) do
    paths[#paths + 1] = line
  end
  math.randomseed(os.time() * 1000 + thread_id)
end

function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
