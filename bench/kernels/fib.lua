-- Twin of fib.ks.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local k, r = tonumber(arg[1] or 1), 0
local i = 1
while true do r = fib(32 + r * 0); if not (i < k) then break end; i = i + 1 end
print(string.format("%f", r))
