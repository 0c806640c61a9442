-- Organize imports and format through the plugin: its commands, then on save, in a project
-- whose ruff.toml sets the formatter's and isort's own choices.
-- Usage: nvim --clean --headless -l format_imports.lua <project-dir>
-- Writes what it saw to $SUREFIX_TEST_RESULT; pytest compares it with Ruff's command line.
local here = vim.fs.dirname(debug.getinfo(1, "S").source:sub(2))
local H = dofile(here .. "/harness.lua")
H.record_ui()
H.editor()
local project = assert(arg[1], "usage: -l format_imports.lua <project-dir>")
local R = H.result

local function text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
end

local function open(relative)
  vim.cmd.edit(vim.fn.fnameescape(project .. "/" .. relative))
  local buf = vim.api.nvim_get_current_buf()
  H.wait("the surefix client to attach to " .. relative, function()
    local c = vim.lsp.get_clients({ bufnr = buf, name = "surefix" })[1]
    return c and c.initialized and vim.lsp.buf_is_attached(buf, c.id)
  end)
  return buf
end

--- The notifications after the `since`-th one.
local function notified_since(since)
  local out = {}
  for i = since + 1, #R.notifications do
    table.insert(out, R.notifications[i].message)
  end
  return out
end

H.step("set up with unused imports removed, organize and format on save", function()
  R.setup = require("surefix").setup({
    settings = { organizeImports = { removeUnused = true } },
    organize_imports_on_save = true,
    format_on_save = true,
  })
end)

H.step("organize the imports with :SurefixOrganizeImports", function()
  local buf = open("commands.py")
  R.original = text(buf)
  vim.cmd("SurefixOrganizeImports")
  R.organized = text(buf)
end)

H.step("format with :SurefixFormat, twice", function()
  local buf = vim.api.nvim_get_current_buf()
  vim.cmd("SurefixFormat")
  R.formatted = text(buf)
  local since = #R.notifications
  vim.cmd("SurefixFormat")
  R.second_format = notified_since(since)
end)

H.step("write a file: its imports organized, then formatted, in that one write", function()
  local buf = open("on_save.py")
  R.save_before = text(buf)
  vim.cmd("write")
  R.save_after = text(buf)
  R.save_modified = vim.bo[buf].modified
end)

H.step("organize the imports of a file with a syntax error", function()
  local buf = open("broken.py")
  R.broken_before = text(buf)
  local since = #R.notifications
  vim.cmd("SurefixOrganizeImports")
  R.broken_message = H.message("not organized") -- the server's window/showMessage
  R.broken_after = text(buf)
  R.broken_notifications = notified_since(since)
end)

H.finish()
