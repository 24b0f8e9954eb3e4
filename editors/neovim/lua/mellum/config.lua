-- Options for require("mellum").setup{}: defaults, and checks that name the bad key.
local M = {}

M.defaults = {
  -- Command line that starts the server.
  cmd = { "mellum-lsp", "serve" },
  -- Extra environment for the server process.
  cmd_env = nil,
  -- Filetypes to attach to; nil attaches to every normal file buffer.
  filetypes = nil,
  -- Server settings, with the server's own keys (sent as initializationOptions and
  -- workspace/didChangeConfiguration), e.g. { completion = { debounce_ms = 50 } }.
  settings = {},
  -- Ask for an inline completion when typing pauses for this long (milliseconds).
  debounce_ms = 100,
  -- Insert-mode keys; set one to false to leave it unmapped.
  keys = {
    accept = "<Tab>",
    accept_word = "<C-Right>",
    dismiss = "<C-]>",
  },
  -- Use Neovim's native inline completion (0.12 and newer) instead of the plugin's ghost text.
  native_inline_completion = false,
  -- Highlight group of the ghost text.
  ghost_hl = "Comment",
}

local function check(path, value, expected)
  if type(value) ~= expected then
    error(string.format("mellum.setup: %s must be a %s, got %s", path, expected, vim.inspect(value)), 0)
  end
end

--- Defaults merged with `opts`; raises an error naming the first bad key.
function M.resolve(opts)
  opts = opts or {}
  check("options", opts, "table")
  local known = vim.tbl_keys(M.defaults)
  for key in pairs(opts) do
    if not vim.tbl_contains(known, key) then
      error(string.format("mellum.setup: unknown option %q (known: %s)", key, table.concat(known, ", ")), 0)
    end
  end
  local config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts)
  check("cmd", config.cmd, "table")
  if #config.cmd == 0 then
    error("mellum.setup: cmd must name the server program, e.g. { 'mellum-lsp', 'serve' }", 0)
  end
  check("settings", config.settings, "table")
  check("debounce_ms", config.debounce_ms, "number")
  check("keys", config.keys, "table")
  check("ghost_hl", config.ghost_hl, "string")
  if config.filetypes ~= nil then
    check("filetypes", config.filetypes, "table")
  end
  return config
end

return M
