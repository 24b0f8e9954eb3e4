-- mellum.nvim: the mellum-lsp client for Neovim 0.7 and newer.
-- require("mellum").setup{} starts the server through the built-in LSP client, attaches it to
-- file buffers, and adds ghost-text inline completion and the :Mellum* commands.
local M = {}

local config
local client_id

--- The running mellum client, or nil.
function M.client()
  return client_id and vim.lsp.get_client_by_id(client_id) or nil
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.textDocument.inlineCompletion = { dynamicRegistration = false }
  caps.window = caps.window or {}
  caps.window.workDoneProgress = true
  return caps
end

local function root_dir(bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  local start = path ~= "" and vim.fn.fnamemodify(path, ":p:h") or vim.fn.getcwd()
  local marker = vim.fn.finddir(".git", start .. ";")
  return marker ~= "" and vim.fn.fnamemodify(marker, ":p:h:h") or vim.fn.getcwd()
end

local function start(bufnr)
  if M.client() then
    return client_id
  end
  local chat = require("mellum.chat")
  client_id = vim.lsp.start_client({
    name = "mellum",
    cmd = config.cmd,
    cmd_env = config.cmd_env,
    root_dir = root_dir(bufnr),
    capabilities = capabilities(),
    init_options = config.settings,
    settings = { mellum = config.settings },
    handlers = { ["$/progress"] = chat.progress_handler },
    on_exit = function(code)
      client_id = nil
      if code ~= 0 then
        vim.schedule(function()
          vim.notify("mellum: the server exited with code " .. code .. "; see :MellumLog", vim.log.levels.WARN)
        end)
      end
    end,
  })
  if not client_id then
    vim.notify("mellum: could not start " .. table.concat(config.cmd, " "), vim.log.levels.ERROR)
  end
  return client_id
end

local function attachable(bufnr)
  if vim.api.nvim_buf_get_option(bufnr, "buftype") ~= "" or vim.api.nvim_buf_get_name(bufnr) == "" then
    return false
  end
  return config.filetypes == nil or vim.tbl_contains(config.filetypes, vim.api.nvim_buf_get_option(bufnr, "filetype"))
end

--- Attaches the server to `bufnr` (default: current) when it is a file buffer of a wanted filetype.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if attachable(bufnr) and start(bufnr) and not vim.lsp.buf_is_attached(bufnr, client_id) then
    vim.lsp.buf_attach_client(bufnr, client_id)
    if config.native_inline_completion and vim.lsp.inline_completion then
      vim.lsp.inline_completion.enable(true, { bufnr = bufnr, client_id = client_id })
    end
  end
end

local function with_client(fn)
  return function(opts)
    local client = M.client()
    if not client then
      vim.notify("mellum: the server is not running (:MellumLog shows why)", vim.log.levels.ERROR)
      return
    end
    fn(client, opts)
  end
end

local function commands()
  local actions = require("mellum.actions")
  local chat = require("mellum.chat")
  local cmd = vim.api.nvim_create_user_command
  cmd("MellumChat", with_client(function(client, opts)
    local range
    if opts.range > 0 then
      local last = vim.api.nvim_buf_get_lines(0, opts.line2 - 1, opts.line2, false)[1] or ""
      range = { start = { line = opts.line1 - 1, character = 0 }, ["end"] = { line = opts.line2 - 1, character = #last } }
    end
    local function ask(question)
      if question and question ~= "" then
        chat.ask(client, question, range)
      end
    end
    if opts.args ~= "" then
      ask(opts.args)
    else
      vim.ui.input({ prompt = "Ask Mellum: " }, ask)
    end
  end), { nargs = "?", range = true, desc = "Ask Mellum about the repository (the range is sent as context)" })
  cmd("MellumChatReset", function()
    chat.reset()
  end, { desc = "Start a new Mellum conversation" })
  cmd("MellumExplain", with_client(actions.explain), { desc = "Explain the diagnostic under the cursor" })
  cmd("MellumFix", with_client(actions.fix), { desc = "Fix the diagnostic under the cursor" })
  cmd("MellumRewrite", with_client(function(client, opts)
    actions.rewrite(client, opts.line1, opts.line2, opts.args)
  end), { nargs = "*", range = true, desc = "Rewrite the lines as instructed (empty: clearer, bugs fixed)" })
  cmd("MellumNextEdit", with_client(function(client)
    actions.next_edit(client)
  end), { desc = "Preview the edit Mellum predicts next" })
  cmd("MellumNextEditAccept", actions.accept_next_edit, { desc = "Apply the previewed edit" })
  cmd("MellumNextEditReject", actions.reject_next_edit, { desc = "Drop the previewed edit" })
  cmd("MellumStatus", with_client(function(client)
    actions.status(client)
  end), { desc = "Model, indexing, acceptance and latency" })
  cmd("MellumLog", function()
    vim.cmd("tabnew " .. vim.fn.fnameescape(vim.lsp.get_log_path()))
  end, { desc = "Open Neovim's LSP log (server stderr goes there)" })
end

function M.setup(opts)
  config = require("mellum.config").resolve(opts)
  commands()
  if config.native_inline_completion and vim.lsp.inline_completion then
    local key = config.keys.accept
    if key then
      vim.keymap.set("i", key, function()
        if not vim.lsp.inline_completion.get() then
          vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(key, true, false, true), "n", false)
        end
      end, { desc = "mellum: accept (native inline completion)" })
    end
  else
    require("mellum.inline").setup(config, M.client)
  end
  local group = vim.api.nvim_create_augroup("mellum", { clear = true })
  vim.api.nvim_create_autocmd({ "BufEnter", "FileType" }, {
    group = group,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  M.attach(0)
end

return M
