-- Pure text helpers for suggestions: LSP positions to byte columns, and splitting a suggestion
-- into what is already typed, what is left to show, and the next word to accept.
local M = {}

--- Byte column of an LSP `character` in `line`, for the negotiated position encoding.
function M.byte_col(line, character, encoding)
  if encoding == "utf-8" then
    return math.min(character, #line)
  end
  local ok, col = pcall(vim.str_byteindex, line, character, encoding ~= "utf-32")
  return ok and col or #line
end

--- LSP `character` of byte column `col` in `line`.
function M.lsp_col(line, col, encoding)
  if encoding == "utf-8" then
    return col
  end
  local utf32, utf16 = vim.str_utfindex(line, math.min(col, #line))
  return encoding == "utf-32" and utf32 or utf16
end

function M.split_lines(text)
  return vim.split(text, "\n", { plain = true })
end

--- The suggestion relative to the cursor, or nil when it does not fit what is typed.
--- `line` is the cursor line, `col` the cursor byte column, `start_col`/`end_col` the byte
--- columns of the item's range on that line, `insert` its text.
--- Returns { rest = text still to insert, replace_end = byte column where the replaced text ends }.
function M.suggestion(line, col, start_col, end_col, insert)
  if start_col > col or end_col < col then
    return nil
  end
  local typed = line:sub(start_col + 1, col)
  if insert:sub(1, #typed) ~= typed then
    return nil
  end
  local rest = insert:sub(#typed + 1)
  if rest == "" then
    return nil
  end
  return { rest = rest, replace_end = end_col }
end

--- The next piece to accept word by word: a line break with its indentation, or leading
--- blanks plus one word, or leading blanks plus a run of punctuation.
function M.next_word(rest)
  return rest:match("^\n[ \t]*") or rest:match("^[ \t]*[%w_]+") or rest:match("^[ \t]*[^%w_%s]+") or rest
end

return M
