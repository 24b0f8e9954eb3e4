-- Tests of the plugin's logic that need no server:
--   editors/test.sh runs it as: nvim --headless -u NONE -i NONE --cmd "set rtp^=$PWD/editors/neovim"
--     --cmd "lua package.path = '$PWD/editors/neovim/tests/?.lua;' .. package.path"
--     -c "lua require('harness').main('unit')"
local t = require("harness")
local text = require("mellum.text")
local ghost = require("mellum.ghost")
local config = require("mellum.config")

t.run({
  { "byte columns follow the position encoding", function()
    local line = 'x = "😀é" + y'
    t.eq(11, text.byte_col(line, 8, "utf-16"), "utf-16 after emoji and é")
    t.eq(11, text.byte_col(line, 7, "utf-32"), "utf-32")
    t.eq(8, text.byte_col(line, 8, "utf-8"), "utf-8")
    t.eq(8, text.lsp_col(line, 11, "utf-16"), "back to utf-16")
  end },
  { "a suggestion is what remains after the typed text", function()
    t.eq({ rest = "rn x", replace_end = 10 }, text.suggestion("    retu", 8, 4, 10, "return x"), "rest")
    t.eq(nil, text.suggestion("    retu", 8, 4, 8, "print(x)"), "does not fit what is typed")
    t.eq(nil, text.suggestion("x", 1, 1, 1, ""), "empty")
  end },
  { "word-by-word acceptance takes one word, punctuation run or line break", function()
    t.eq("foo", text.next_word("foo(bar)"), "word")
    t.eq("(", text.next_word("(bar)"), "punctuation")
    t.eq("  bar", text.next_word("  bar baz"), "blanks and word")
    t.eq("\n    ", text.next_word("\n    return x"), "line break with indentation")
  end },
  { "ghost text: one line overlays the rest of the line after it", function()
    local buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "print(x)" })
    ghost.show(buf, 0, 6, "abc, y", 7, "Comment")
    local marks = ghost.marks(buf)
    t.eq(1, #marks, "one extmark")
    local details = marks[1][4]
    t.eq({ 0, 6 }, { marks[1][2], marks[1][3] }, "at the cursor")
    t.eq("abc, y", details.virt_text[1][1], "suggestion")
    t.eq(")", details.virt_text[2][1], "the line's tail after it")
    ghost.clear(buf)
    t.eq(0, #ghost.marks(buf), "cleared")
  end },
  { "ghost text: following lines are virt_lines, the tail after the last", function()
    local buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "def f():)" })
    ghost.show(buf, 0, 8, "\n    return 1\n", 8, "Comment")
    local details = ghost.marks(buf)[1][4]
    t.eq("overlay", details.virt_text_pos, "first line overlays")
    t.eq(" ", details.virt_text[1][1], "blanks out the tail moved below")
    t.eq(2, #details.virt_lines, "two lines below")
    t.eq("    return 1", details.virt_lines[1][1][1], "second line")
    t.eq(")", details.virt_lines[2][2][1], "tail after the last line")
  end },
  { "setup options are checked, naming the bad key", function()
    local ok, err = pcall(config.resolve, { debounce = 10 })
    t.eq(false, ok, "unknown key rejected")
    assert(tostring(err):find('"debounce"'), err)
    ok, err = pcall(config.resolve, { cmd = {} })
    assert(not ok and tostring(err):find("cmd"), err)
    t.eq({ "mellum-lsp", "serve" }, config.resolve({}).cmd, "default command")
  end },
  { "status lines", function()
    local lines = require("mellum.actions").format_status({
      model = "tiny", loaded = true, problem = vim.NIL, device = "cpu", backend = "torch",
      indexing = { done = 2, total = 3 }, queue = { pending = { "chat" }, running = {} },
      acceptance = { shown = 4, accepted = 1, rejected = 3, rate = 0.25 },
      latency_ms = { p50 = 81.4, p95 = vim.NIL, recent = {} },
    })
    t.eq("model tiny on cpu (torch)", lines[1], "model")
    t.eq("indexed 2/3 files, 0 running, 1 waiting", lines[2], "index and queue")
    t.eq("completions: 4 shown, 1 accepted, 3 rejected (rate 25%)", lines[3], "acceptance")
    t.eq("latency p50 81 ms, p95 -", lines[4], "latency")
    local loading = require("mellum.actions").format_status({ model = "m", loaded = false, problem = "not found",
      acceptance = { shown = 0, accepted = 0, rejected = 0, rate = vim.NIL }, latency_ms = {} })
    t.eq("model m on - (-) - not found", loading[1], "problem")
    t.eq("completions: 0 shown, 0 accepted, 0 rejected (rate -)", loading[3], "no rate yet")
  end },
}, 20000)
