-- The custom requests: explain/fix the diagnostic under the cursor (through the server's code
-- actions), next edit (previewed with extmarks, then accepted or rejected), and status.
local chat = require("mellum.chat")

local M = {}

local ns = vim.api.nvim_create_namespace("mellum_next_edit")
local proposal -- { bufnr, tick, edits, encoding }

local function lsp_diagnostics_at_cursor(bufnr)
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = row })) do
    local lsp = d.user_data and d.user_data.lsp
    table.insert(found, lsp or {
      range = {
        start = { line = d.lnum, character = d.col },
        ["end"] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col },
      },
      message = d.message,
      severity = d.severity,
      source = d.source,
      code = d.code,
    })
  end
  return found
end

local function pick_action(actions, command_name, title_pattern)
  for _, action in ipairs(actions or {}) do
    local command = type(action.command) == "table" and action.command or action
    if command.command == command_name then
      return action
    end
  end
  for _, action in ipairs(actions or {}) do
    if (action.title or ""):lower():find(title_pattern) then
      return action
    end
  end
end

local function with_action(client, kind, callback)
  local bufnr = vim.api.nvim_get_current_buf()
  local diagnostics = lsp_diagnostics_at_cursor(bufnr)
  if #diagnostics == 0 then
    vim.notify("mellum: no diagnostic on this line", vim.log.levels.INFO)
    return
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = diagnostics[1].range,
    context = { diagnostics = diagnostics, triggerKind = 1 },
  }
  client.request("textDocument/codeAction", params, function(err, actions)
    if err then
      vim.notify("mellum: code actions failed: " .. err.message, vim.log.levels.ERROR)
      return
    end
    local name = kind == "explain" and "mellum.explainDiagnostic" or "mellum.fixDiagnostic"
    local action = pick_action(actions, name, kind)
    if not action then
      vim.notify("mellum: the server offers no " .. kind .. " here", vim.log.levels.INFO)
      return
    end
    callback(action, diagnostics[1], bufnr)
  end, bufnr)
end

--- :MellumExplain: the explanation streams into the chat buffer.
function M.explain(client)
  with_action(client, "explain", function(action, diagnostic, bufnr)
    local command = type(action.command) == "table" and action.command or action
    chat.stream("Explain", diagnostic.message, function(token, done)
      -- mellum.explainDiagnostic {uri, diagnostic, partialResultToken}: streams like chat.
      local args = vim.deepcopy(command.arguments or { {} })
      args[1].partialResultToken = token
      local params = { command = command.command, arguments = args }
      client.request("workspace/executeCommand", params, done, bufnr)
    end)
  end)
end

local function apply(client, action, bufnr)
  if action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  end
  local command = type(action.command) == "table" and action.command or (action.edit == nil and action or nil)
  if command and command.command then
    client.request("workspace/executeCommand", { command = command.command, arguments = command.arguments }, function(err)
      if err then
        vim.notify("mellum: " .. err.message, vim.log.levels.ERROR)
      end
    end, bufnr)
  end
end

--- :MellumFix: applies the server's fix (resolving the code action first when it is lazy).
function M.fix(client)
  with_action(client, "fix", function(action, _, bufnr)
    if action.edit or action.command then
      apply(client, action, bufnr)
      return
    end
    client.request("codeAction/resolve", action, function(err, resolved)
      if err then
        vim.notify("mellum: the fix failed: " .. err.message, vim.log.levels.ERROR)
        return
      end
      apply(client, resolved, bufnr)
    end, bufnr)
  end)
end

--- :'<,'>MellumRewrite {instruction}: "Rewrite with Mellum" on the lines, resolved into an edit.
function M.rewrite(client, line1, line2, instruction, on_done)
  local bufnr = vim.api.nvim_get_current_buf()
  local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ""
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = line1 - 1, character = 0 }, ["end"] = { line = line2 - 1, character = #last } },
    context = { diagnostics = {}, only = { "refactor.rewrite" } },
  }
  client.request("textDocument/codeAction", params, function(err, actions)
    local action = not err and pick_action(actions, "mellum.rewrite", "rewrite")
    if not action then
      vim.notify("mellum: no rewrite offered" .. (err and (": " .. err.message) or ""), vim.log.levels.ERROR)
      return
    end
    if instruction and instruction ~= "" and type(action.data) == "table" then
      action.data.instruction = instruction
    end
    client.request("codeAction/resolve", action, function(rerr, resolved)
      if rerr then
        vim.notify("mellum: the rewrite failed: " .. rerr.message, vim.log.levels.ERROR)
      elseif resolved and resolved.edit then
        vim.lsp.util.apply_workspace_edit(resolved.edit, client.offset_encoding)
      end
      if on_done then
        on_done(rerr, resolved)
      end
    end, bufnr)
  end, bufnr)
end

function M.reject_next_edit()
  if proposal then
    vim.api.nvim_buf_clear_namespace(proposal.bufnr, ns, 0, -1)
    proposal = nil
  end
end

function M.accept_next_edit()
  local p = proposal
  M.reject_next_edit()
  if not p then
    return false
  end
  if vim.api.nvim_buf_get_changedtick(p.bufnr) ~= p.tick then
    vim.notify("mellum: the buffer changed since the edit was suggested; not applied", vim.log.levels.WARN)
    return false
  end
  vim.lsp.util.apply_text_edits(p.edits, p.bufnr, p.encoding)
  return true
end

function M.next_edit_pending()
  return proposal
end

local function preview(bufnr, edits)
  for _, edit in ipairs(edits) do
    local s, e = edit.range.start, edit.range["end"]
    local last = vim.api.nvim_buf_get_lines(bufnr, e.line, e.line + 1, false)[1] or ""
    vim.api.nvim_buf_set_extmark(bufnr, ns, s.line, 0, {
      end_row = e.line,
      end_col = #last,
      hl_group = "DiffDelete",
      virt_lines = vim.tbl_map(function(l)
        return { { l, "DiffAdd" } }
      end, vim.split(edit.newText, "\n", { plain = true })),
    })
  end
end

--- :MellumNextEdit: previews the predicted edit; :MellumNextEditAccept / :MellumNextEditReject.
function M.next_edit(client, on_done)
  M.reject_next_edit()
  local bufnr = vim.api.nvim_get_current_buf()
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  client.request("mellum/nextEdit", params, function(err, result)
    if err then
      vim.notify("mellum: next edit failed: " .. err.message, vim.log.levels.ERROR)
    elseif not result or not result.edits or #result.edits == 0 then
      vim.notify("mellum: no edit to suggest here", vim.log.levels.INFO)
    elseif vim.api.nvim_buf_get_changedtick(bufnr) == tick then
      proposal = { bufnr = bufnr, tick = tick, edits = result.edits, encoding = client.offset_encoding }
      preview(bufnr, result.edits)
      vim.notify("mellum: :MellumNextEditAccept or :MellumNextEditReject", vim.log.levels.INFO)
    end
    if on_done then
      on_done(err, result)
    end
  end, bufnr)
end

local function value(v)
  return (v == nil or v == vim.NIL) and "-" or v
end

--- The lines :MellumStatus prints for a `mellum/status` answer.
function M.format_status(s)
  local lat = s.latency_ms or {}
  local acc = s.acceptance or {}
  local idx = s.indexing or {}
  local queue = s.queue or {}
  local function ms(v)
    return value(v) == "-" and "-" or string.format("%d ms", math.floor(v + 0.5))
  end
  local state = s.loaded and "" or (value(s.problem) ~= "-" and (" - " .. s.problem) or " - loading")
  local rate = value(acc.rate) == "-" and "-" or string.format("%.0f%%", acc.rate * 100)
  return {
    string.format("model %s on %s (%s)%s", value(s.model), value(s.device), value(s.backend), state),
    string.format(
      "indexed %s/%s files, %d running, %d waiting",
      value(idx.done), value(idx.total), #(queue.running or {}), #(queue.pending or {})
    ),
    string.format(
      "completions: %s shown, %s accepted, %s rejected (rate %s)",
      value(acc.shown), value(acc.accepted), value(acc.rejected), rate
    ),
    string.format("latency p50 %s, p95 %s", ms(lat.p50), ms(lat.p95)),
  }
end

function M.status(client, on_done)
  client.request("mellum/status", {}, function(err, result)
    if err then
      vim.notify("mellum: status failed: " .. err.message, vim.log.levels.ERROR)
    else
      vim.notify(table.concat(M.format_status(result), "\n"), vim.log.levels.INFO)
    end
    if on_done then
      on_done(err, result)
    end
  end)
end

return M
