-- Inline completion: asks textDocument/inlineCompletion when typing pauses, draws the answer as
-- ghost text, accepts it whole or word by word, and reports shown/accepted/rejected to the server.
local ghost = require("mellum.ghost")
local text = require("mellum.text")

local M = {}

local config, get_client
local timer = vim.loop.new_timer()
local pending -- { client, id } of the request in flight
local current -- the suggestion on screen: { bufnr, row, col, rest, replace_end, id, tick }

local function notify(method, id)
  local client = get_client()
  if client and id ~= nil then
    client.notify(method, { id = id })
  end
end

local function cancel_pending()
  if pending then
    pending.client.cancel_request(pending.id)
    pending = nil
  end
end

--- Removes the suggestion; it counts as rejected unless `accepted`.
function M.dismiss(accepted)
  cancel_pending()
  if current then
    ghost.clear(current.bufnr)
    if not accepted then
      notify("mellum/didRejectCompletion", current.id)
    end
    current = nil
  end
end

function M.current()
  return current
end

local function completion_id(item)
  local arg = item.command and item.command.arguments and item.command.arguments[1]
  if type(arg) == "table" then
    return arg.id
  end
  return arg
end

local function cursor()
  local pos = vim.api.nvim_win_get_cursor(0)
  return pos[1] - 1, pos[2]
end

local function show(bufnr, row, col, tick, items, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  for _, item in ipairs(items) do
    local insert = type(item.insertText) == "table" and item.insertText.value or item.insertText
    local start_col, end_col = col, col
    if item.range then
      if item.range.start.line ~= row or item.range["end"].line ~= row then
        goto continue
      end
      start_col = text.byte_col(line, item.range.start.character, encoding)
      end_col = text.byte_col(line, item.range["end"].character, encoding)
    end
    local fit = type(insert) == "string" and text.suggestion(line, col, start_col, end_col, insert)
    if fit then
      current = { bufnr = bufnr, row = row, col = col, rest = fit.rest, replace_end = fit.replace_end, id = completion_id(item), tick = tick }
      ghost.show(bufnr, row, col, fit.rest, fit.replace_end, config.ghost_hl)
      notify("mellum/didShowCompletion", current.id)
      return
    end
    ::continue::
  end
end

--- Requests a completion at the cursor now (the debounce timer calls this).
function M.request()
  local client = get_client()
  local bufnr = vim.api.nvim_get_current_buf()
  if not client or not vim.lsp.buf_is_attached(bufnr, client.id) or vim.api.nvim_get_mode().mode:sub(1, 1) ~= "i" then
    return
  end
  M.dismiss()
  local row, col = cursor()
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local encoding = client.offset_encoding or "utf-16"
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = row, character = text.lsp_col(line, col, encoding) },
    context = { triggerKind = 2 },
  }
  local ok, id = client.request("textDocument/inlineCompletion", params, function(err, result)
    if pending and pending.id == id then
      pending = nil
    end
    if err or not result then
      return
    end
    local r, c = cursor()
    local still_here = vim.api.nvim_get_current_buf() == bufnr and r == row and c == col
    if not still_here or vim.api.nvim_buf_get_changedtick(bufnr) ~= tick or vim.api.nvim_get_mode().mode:sub(1, 1) ~= "i" then
      return
    end
    show(bufnr, row, col, tick, result.items or result, encoding)
  end, bufnr)
  if ok then
    pending = { client = client, id = id }
  end
end

--- Typing (not our own insertion) dismisses the suggestion and schedules a new request.
function M.on_text_changed()
  if current and vim.api.nvim_buf_get_changedtick(current.bufnr) == current.tick then
    return
  end
  M.dismiss()
  timer:stop()
  timer:start(config.debounce_ms, 0, vim.schedule_wrap(M.request))
end

function M.on_cursor_moved()
  if current then
    local row, col = cursor()
    if vim.api.nvim_get_current_buf() ~= current.bufnr or row ~= current.row or col ~= current.col then
      M.dismiss()
    end
  end
end

function M.on_insert_leave()
  timer:stop()
  M.dismiss()
end

--- Inserts `piece` (the start of the suggestion) at the cursor; returns true when nothing is left.
local function insert(piece, replace_to)
  local s = current
  local lines = text.split_lines(piece)
  vim.api.nvim_buf_set_text(s.bufnr, s.row, s.col, s.row, replace_to, lines)
  local row = s.row + #lines - 1
  local col = #lines == 1 and s.col + #piece or #lines[#lines]
  s.rest = s.rest:sub(#piece + 1)
  s.replace_end = #lines == 1 and s.replace_end - (replace_to - s.col) + #piece or s.replace_end - replace_to + col
  s.row, s.col = row, col
  s.tick = vim.api.nvim_buf_get_changedtick(s.bufnr)
  vim.api.nvim_win_set_cursor(0, { row + 1, col })
  return s.rest == ""
end

--- Accepts the whole suggestion; returns false when there is none (so the key does its usual job).
function M.accept()
  if not current then
    return false
  end
  insert(current.rest, current.replace_end)
  local id = current.id
  M.dismiss(true)
  notify("mellum/didAcceptCompletion", id)
  return true
end

--- Accepts the next word; the rest stays on screen.
function M.accept_word()
  if not current then
    return false
  end
  local piece = text.next_word(current.rest)
  if piece == current.rest then
    return M.accept()
  end
  insert(piece, current.col)
  ghost.show(current.bufnr, current.row, current.col, current.rest, current.replace_end, config.ghost_hl)
  return true
end

local function map(key, action)
  if not key then
    return
  end
  vim.keymap.set("i", key, function()
    if not action() then
      vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(key, true, false, true), "n", false)
    end
  end, { desc = "mellum: " .. key, silent = true })
end

function M.setup(cfg, client_getter)
  config, get_client = cfg, client_getter
  local group = vim.api.nvim_create_augroup("mellum_inline", { clear = true })
  vim.api.nvim_create_autocmd({ "TextChangedI", "TextChangedP" }, { group = group, callback = M.on_text_changed })
  vim.api.nvim_create_autocmd("CursorMovedI", { group = group, callback = M.on_cursor_moved })
  vim.api.nvim_create_autocmd({ "InsertLeave", "BufLeave" }, { group = group, callback = M.on_insert_leave })
  map(config.keys.accept, M.accept)
  map(config.keys.accept_word, M.accept_word)
  map(config.keys.dismiss, function()
    local had = current ~= nil
    M.dismiss()
    return had
  end)
end

return M
