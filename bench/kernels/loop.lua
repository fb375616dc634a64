-- Twin of loop.ks.
local function run(p)
  local s, x, i = p, 1, 0
  while true do
    x = x * 0.999999 + 0.5; s = s + x / (i + 1)
    if not (i < 20000000) then break end; i = i + 1
  end
  return s
end
local k, r, i = tonumber(arg[1] or 1), 0, 1
while true do r = run(r * 0); if not (i < k) then break end; i = i + 1 end
print(string.format("%f", r))
