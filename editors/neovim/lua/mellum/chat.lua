-- :MellumChat: a scratch buffer holding the conversation; answers stream into it from
-- `$/progress` notifications carrying `{delta}` for the request's partialResultToken.
local M = {}

local streams = {} -- token -> function(value)
local history = {} -- finished { role, content } messages
local chat_buf
local counter = 0

--- The `$/progress` handler: our tokens feed the chat buffer, anything else goes to Neovim's default.
function M.progress_handler(err, result, ctx, cfg)
  local stream = result and streams[result.token]
  if stream then
    stream(result.value)
    return
  end
  return vim.lsp.handlers["$/progress"](err, result, ctx, cfg)
end

function M.buffer()
  if chat_buf and vim.api.nvim_buf_is_valid(chat_buf) then
    return chat_buf
  end
  chat_buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(chat_buf, "mellum://chat")
  vim.api.nvim_buf_set_option(chat_buf, "filetype", "markdown")
  vim.api.nvim_buf_set_option(chat_buf, "bufhidden", "hide")
  return chat_buf
end

local function show_buffer()
  local buf = M.buffer()
  if vim.fn.bufwinid(buf) == -1 then
    vim.cmd("botright vsplit")
    vim.api.nvim_win_set_buf(0, buf)
    vim.cmd("wincmd p")
  end
end

local function append(text)
  local buf = M.buffer()
  local last = vim.api.nvim_buf_line_count(buf) - 1
  local tail = vim.api.nvim_buf_get_lines(buf, last, last + 1, false)[1] or ""
  vim.api.nvim_buf_set_text(buf, last, #tail, last, #tail, vim.split(text, "\n", { plain = true }))
  local win = vim.fn.bufwinid(buf)
  if win ~= -1 then
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 })
  end
end

--- Starts one streamed answer under `heading`. `send(token, done)` issues the request; `done`
--- takes (err, result) where result is `{content}` (the whole answer, kept in the history).
function M.stream(heading, question, send)
  show_buffer()
  local buf = M.buffer()
  local empty = vim.api.nvim_buf_line_count(buf) == 1 and vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] == ""
  append((empty and "" or "\n\n") .. "## " .. heading .. "\n\n" .. question .. "\n\n## Mellum\n\n")
  counter = counter + 1
  local token = string.format("mellum-nvim-chat-%d-%d", vim.loop.getpid(), counter)
  local received = ""
  streams[token] = function(value)
    if type(value) == "table" and type(value.delta) == "string" then
      received = received .. value.delta
      append(value.delta)
    end
  end
  send(token, function(err, result)
    streams[token] = nil
    if err then
      append("\n\n[error: " .. (err.message or vim.inspect(err)) .. "]")
      return
    end
    local content = type(result) == "table" and result.content or received
    if content ~= received then
      -- The final answer is authoritative: replace what streamed if it differs.
      local buf_now = M.buffer()
      local lines = vim.api.nvim_buf_get_lines(buf_now, 0, -1, false)
      local joined = table.concat(lines, "\n")
      local keep = joined:sub(1, #joined - #received)
      vim.api.nvim_buf_set_lines(buf_now, 0, -1, false, vim.split(keep .. content, "\n", { plain = true }))
    end
    if heading == "You" then
      table.insert(history, { role = "user", content = question })
      table.insert(history, { role = "assistant", content = content })
    end
  end)
end

--- Asks `question` with the history so far, about the current buffer (and `range`, if given).
function M.ask(client, question, range)
  local bufnr = vim.api.nvim_get_current_buf()
  local messages = vim.deepcopy(history)
  table.insert(messages, { role = "user", content = question })
  M.stream("You", question, function(token, done)
    local params = { messages = messages, partialResultToken = token }
    if vim.api.nvim_buf_get_option(bufnr, "buftype") == "" then
      params.textDocument = { uri = vim.uri_from_bufnr(bufnr) }
      params.range = range
    end
    client.request("mellum/chat", params, function(err, result)
      done(err, result)
    end, bufnr)
  end)
end

--- True while an answer is streaming.
function M.busy()
  return next(streams) ~= nil
end

--- The finished conversation so far (copies of the { role, content } messages).
function M.history()
  return vim.deepcopy(history)
end

function M.reset()
  history = {}
  if chat_buf and vim.api.nvim_buf_is_valid(chat_buf) then
    vim.api.nvim_buf_set_lines(chat_buf, 0, -1, false, {})
  end
end

return M
