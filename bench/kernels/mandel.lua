-- Twin of mandel.ks.
local function escape(cr, ci)
  local zr, zi, n, t = 0, 0, 0, 0
  while true do
    t = zr*zr - zi*zi + cr; zi = 2*zr*zi + ci; zr = t; n = n + 1
    if not ((n < 256) and (zr*zr + zi*zi < 4)) then break end
  end
  return n
end
local function grid(p)
  local total, y = p, 0
  while true do
    local x = 0
    while true do
      total = total + escape(x / 300 - 2, y / 200 - 1)
      if not (x < 599) then break end; x = x + 1
    end
    if not (y < 399) then break end; y = y + 1
  end
  return total
end
local k, r, i = tonumber(arg[1] or 1), 0, 1
while true do r = grid(r * 0); if not (i < k) then break end; i = i + 1 end
print(string.format("%f", r))
