-- A tiny test runner for headless Neovim. A test body runs in a coroutine so it can wait for
-- the main loop (typeahead, timers, LSP replies) without sleeping; any error ends Neovim with
-- :cquit (an uncaught error followed by :qa! would exit 0), success with :qa!.
local M = {}

local co
local finished = false
local failures = 0
local current = "setup"

local function finish(ok, message)
  if finished then
    return
  end
  finished = true
  if ok and failures == 0 then
    io.stdout:write("all tests passed\n")
    vim.cmd("qa!")
  else
    io.stderr:write((message or (failures .. " test(s) failed")) .. "\n")
    vim.cmd("cquit 1")
  end
end

local function step()
  if finished then
    return
  end
  local ok, err = coroutine.resume(co)
  if not ok then
    finish(false, "error in " .. current .. ": " .. debug.traceback(co, err))
  elseif coroutine.status(co) == "dead" then
    finish(true)
  end
end

--- Loads the test file `name` (from tests/) under pcall, so an error while setting up also ends
--- Neovim with :cquit instead of leaving it waiting.
function M.main(name)
  local ok, err = pcall(require, name)
  if not ok then
    finish(false, "error loading " .. name .. ": " .. tostring(err))
  end
end

--- Runs `tests` (a list of { name, fn }) in order; gives up after `timeout_ms` in all.
function M.run(tests, timeout_ms)
  co = coroutine.create(function()
    for _, test in ipairs(tests) do
      current = test[1]
      local ok, err = pcall(test[2])
      if ok then
        io.stdout:write("ok - " .. test[1] .. "\n")
      else
        failures = failures + 1
        io.stderr:write("not ok - " .. test[1] .. ": " .. tostring(err) .. "\n")
      end
    end
  end)
  vim.defer_fn(function()
    finish(false, "timed out in " .. current)
  end, timeout_ms)
  vim.schedule(step)
end

--- Yields to the main loop until `cond()` is truthy; returns its value.
function M.wait(cond, timeout_ms, what)
  local deadline = vim.loop.hrtime() + timeout_ms * 1e6
  while true do
    local ok, value = pcall(cond)
    if ok and value then
      return value
    end
    if vim.loop.hrtime() > deadline then
      error("timed out after " .. timeout_ms .. " ms waiting for " .. what, 2)
    end
    vim.defer_fn(step, 20)
    coroutine.yield()
  end
end

--- Types `keys` as a user would (mappings apply), then lets the main loop run once.
function M.feed(keys)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), "m", false)
  vim.defer_fn(step, 10)
  coroutine.yield()
end

function M.eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(string.format("%s: expected %s, got %s", what or "value", vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

return M
