-- End to end against the real server (command from $MELLUM_TEST_SERVER, a JSON array):
--   editors/test.sh runs it as: nvim --headless -u NONE -i NONE --cmd "set rtp^=$PWD/editors/neovim"
--     --cmd "lua package.path = '$PWD/editors/neovim/tests/?.lua;' .. package.path"
--     -c "lua require('harness').main('e2e')"
-- Types into a buffer as a user would, waits for ghost text extmarks, accepts with <Tab>,
-- streams a chat answer and an explanation into the chat buffer, and reads mellum/status.
local t = require("harness")
local ghost = require("mellum.ghost")
local inline = require("mellum.inline")
local chat = require("mellum.chat")
local actions = require("mellum.actions")

local TIMEOUT = 240000
local server = os.getenv("MELLUM_TEST_SERVER")
assert(server and server ~= "", "MELLUM_TEST_SERVER must hold the server command as a JSON array")

local root = vim.fn.tempname()
vim.fn.mkdir(root, "p")
local file = root .. "/calc.py"
-- The cursor ends a comment: any text the model writes there survives the server's filters, so
-- a tiny random checkpoint gives a suggestion too. Several notes, in case one ends in nothing.
vim.fn.writefile({ "import os", "", "", "def home():", "    return os.environ['HOME']", "", "# " }, file)
local NOTES = { "the home directory of", "where the user keeps", "paths are resolved", "see also", "todo" }
vim.env.XDG_CONFIG_HOME = root .. "/.config"
vim.env.XDG_CACHE_HOME = root .. "/.cache"

local buf

local function start()
  vim.cmd("cd " .. vim.fn.fnameescape(root))
  vim.cmd("filetype on")
  vim.cmd("edit " .. file)
  buf = vim.api.nvim_get_current_buf()
  require("mellum").setup({
    cmd = vim.fn.json_decode(server),
    settings = {
      completion = { debounce_ms = 0, max_new_tokens = 8 },
      chat = { max_new_tokens = 24 },
      edit = { max_new_tokens = 16 },
    },
    debounce_ms = 50,
  })
end

local expected -- buffer lines after accepting the suggestion

local function wait_chat_done(what)
  t.wait(function()
    return not chat.busy()
  end, TIMEOUT, what)
end

local function chat_text()
  return table.concat(vim.api.nvim_buf_get_lines(chat.buffer(), 0, -1, false), "\n")
end

t.run({
  { "the server starts and attaches to the buffer", function()
    start()
    local client = t.wait(function()
      local c = require("mellum").client()
      return c and c.server_capabilities and vim.lsp.buf_is_attached(buf, c.id) and c
    end, TIMEOUT, "the server to initialize")
    assert(client.server_capabilities.inlineCompletionProvider, "the server offers inline completion")
    local loaded = false
    t.wait(function()
      client.request("mellum/status", {}, function(_, status)
        loaded = status and status.loaded
      end)
      return loaded
    end, TIMEOUT, "the model to load")
  end },

  { "typing then pausing shows ghost text as extmarks", function()
    local s
    for _, note in ipairs(NOTES) do
      vim.api.nvim_buf_set_lines(buf, 6, 7, false, { "# " })
      vim.api.nvim_win_set_cursor(0, { 7, 1 })
      t.feed("A" .. note)
      s = pcall(t.wait, function()
        return #ghost.marks(buf) > 0 and inline.current()
      end, 30000, "ghost text") and inline.current()
      if s then
        break
      end
      t.feed("<Esc>")
    end
    assert(s, "no ghost text after any note")
    local mark = ghost.marks(buf)[1]
    t.eq({ 6, s.col }, { mark[2], mark[3] }, "the extmark sits at the cursor")
    t.eq(vim.api.nvim_win_get_cursor(0)[2], s.col, "the cursor column")
    local shown = mark[4].virt_text[1][1]
    assert(vim.startswith(s.rest, shown), "the first ghost line is the start of the suggestion")
    local line = vim.api.nvim_buf_get_lines(buf, 6, 7, false)[1]
    local text = line:sub(1, s.col) .. s.rest .. line:sub(s.replace_end + 1)
    expected = vim.list_extend(vim.api.nvim_buf_get_lines(buf, 0, 6, false), vim.split(text, "\n", { plain = true }))
  end },

  { "<Tab> accepts: the buffer holds the suggestion and the ghost text is gone", function()
    t.feed("<Tab>")
    t.wait(function()
      return vim.deep_equal(vim.api.nvim_buf_get_lines(buf, 0, -1, false), expected)
    end, 5000, "the accepted text in the buffer")
    t.eq(0, #ghost.marks(buf), "no ghost text left")
    t.feed("<Esc>")
    t.wait(function()
      return vim.api.nvim_get_mode().mode == "n"
    end, 5000, "normal mode")
  end },

  { "mellum/status counts the suggestion shown and accepted", function()
    local status
    actions.status(require("mellum").client(), function(err, result)
      assert(not err, err and err.message)
      status = result
    end)
    t.wait(function()
      return status
    end, 10000, "mellum/status")
    assert(status.acceptance.shown >= 1 and status.acceptance.accepted >= 1, vim.inspect(status.acceptance))
  end },

  { ":MellumChat streams the answer into its buffer", function()
    local updates = 0
    vim.api.nvim_buf_attach(chat.buffer(), false, {
      on_lines = function()
        updates = updates + 1
      end,
    })
    vim.cmd("MellumChat What does home return?")
    t.wait(function()
      return chat.busy()
    end, 5000, "the chat request to start")
    wait_chat_done("the chat answer")
    local history = chat.history()
    t.eq(2, #history, "question and answer kept for the next turn")
    assert(#history[2].content > 0, "a non-empty answer")
    assert(updates >= 3, "the heading and at least two deltas arrived separately, got " .. updates)
    assert(vim.endswith(chat_text(), history[2].content), "the buffer ends with the final answer")
  end },

  { ":MellumExplain streams an explanation of another server's diagnostic", function()
    local ns = vim.api.nvim_create_namespace("e2e_linter")
    vim.diagnostic.set(ns, buf, {
      { lnum = 4, col = 11, end_lnum = 4, end_col = 13, message = "undefined name 'os'", severity = 1, source = "pyflakes" },
    })
    vim.api.nvim_win_set_cursor(0, { 5, 11 })
    vim.cmd("MellumExplain")
    t.wait(function()
      return chat_text():find("## Explain", 1, true) and not chat.busy()
    end, TIMEOUT, "the explanation")
    assert(chat_text():find("undefined name 'os'", 1, true), "the chat shows what is explained")
  end },
  { ":MellumRewrite resolves the rewrite into an edit and applies it to the selected lines only", function()
    local before = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
    local resolved
    actions.rewrite(require("mellum").client(), 4, 5, "return the home directory as a Path", function(err, action)
      assert(not err, err and err.message)
      resolved = action
    end)
    t.wait(function()
      return resolved
    end, TIMEOUT, "the rewrite")
    local changes = resolved.edit.changes or {}
    local edits = changes[vim.uri_from_bufnr(buf)]
    assert(edits, "the edit is for this buffer: " .. vim.inspect(resolved.edit))
    local after = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
    t.eq({ before[1], before[2], before[3] }, { after[1], after[2], after[3] }, "lines above the selection")
    t.eq(before[#before], after[#after], "the last line")
  end },
}, TIMEOUT * 4)
