-- Twin of calls.ks.
local floor = math.floor
local function pct(a, b) return a - b * floor(a / b) end
local function lerp(a, b, t) return a + (b - a) * t end
local function mix(x, i) return lerp(x, pct(i, 7), 0.25) end
local function run(p)
  local x, i = p, 1
  while true do x = mix(x, i); if not (i < 10000000) then break end; i = i + 1 end
  return x
end
local k, r, i = tonumber(arg[1] or 1), 0, 1
while true do r = run(r * 0); if not (i < k) then break end; i = i + 1 end
print(string.format("%f", r))
