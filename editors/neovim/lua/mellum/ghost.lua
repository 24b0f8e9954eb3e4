-- Ghost text drawn with extmarks: the first line at the cursor (inline text on Neovim 0.10 and
-- newer for one-line suggestions, else an overlay that redraws the rest of the line after it),
-- and the following lines as virt_lines.
local M = {}

M.ns = vim.api.nvim_create_namespace("mellum_ghost")
local has_inline = vim.fn.has("nvim-0.10") == 1

--- Draws `rest` at (row, col) of `bufnr`; text from `col` to `replace_end` is replaced by it.
function M.show(bufnr, row, col, rest, replace_end, hl)
  M.clear(bufnr)
  local lines = vim.split(rest, "\n", { plain = true })
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local tail = line:sub(replace_end + 1)
  local opts = { hl_mode = "combine", priority = 1000 }
  if #lines == 1 and replace_end == col and has_inline then
    opts.virt_text = { { lines[1], hl } }
    opts.virt_text_pos = "inline"
  elseif #lines == 1 then
    opts.virt_text = { { lines[1], hl }, { tail, "Normal" } }
    opts.virt_text_pos = "overlay"
  else
    -- The rest of the line moves below the suggestion: blank it out on this line.
    local covered = vim.fn.strdisplaywidth(line:sub(col + 1))
    local pad = math.max(0, covered - vim.fn.strdisplaywidth(lines[1]))
    opts.virt_text = { { lines[1] .. string.rep(" ", pad), hl } }
    opts.virt_text_pos = "overlay"
    local below = {}
    for i = 2, #lines do
      local chunks = { { lines[i], hl } }
      if i == #lines and tail ~= "" then
        table.insert(chunks, { tail, "Normal" })
      end
      table.insert(below, chunks)
    end
    opts.virt_lines = below
  end
  return vim.api.nvim_buf_set_extmark(bufnr, M.ns, row, col, opts)
end

function M.clear(bufnr)
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
end

--- The extmarks currently drawn (with details), for :MellumStatus and tests.
function M.marks(bufnr)
  return vim.api.nvim_buf_get_extmarks(bufnr, M.ns, 0, -1, { details = true })
end

return M
