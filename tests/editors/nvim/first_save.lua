-- The first save of a session: `:w` right after `:e`, while the server is still starting, with
-- the README's fix-on-save autocmd and a setup{} that gives `cmd` but no `settings`.
-- Usage: nvim --clean --headless -l first_save.lua <file.py> [timeout-ms]
-- With a timeout, fix_all_sync gets that bound instead of its default (one too short for any
-- server to start shows what the user is told when the bound is exceeded).
local here = vim.fs.dirname(debug.getinfo(1, "S").source:sub(2))
local H = dofile(here .. "/harness.lua")
H.record_ui()
H.editor()
local file = assert(arg[1], "usage: -l first_save.lua <file.py> [timeout-ms]")
local timeout = tonumber(arg[2] or "")
local R = H.result

local function text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
end

H.step("set up with cmd and no settings", function()
  R.setup = require("surefix").setup({ cmd = { "surefix", "serve" } })
  vim.api.nvim_create_autocmd("BufWritePre", { -- the README's snippet
    pattern = "*.py",
    callback = function(ev)
      R.applied = require("surefix").fix_all_sync(ev.buf, timeout)
    end,
  })
end)

H.step("open the file and save it at once", function()
  vim.cmd.edit(vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local client = vim.lsp.get_clients({ bufnr = buf, name = "surefix" })[1]
  R.ready_before_write = client ~= nil and client.initialized == true
  R.before = text(buf)
  vim.cmd("write")
  R.after = text(buf)
  R.modified = vim.bo[buf].modified
end)

H.step("let the server settle", function()
  -- Diagnostics come after the settings were read: any warning about them is in by then.
  local buf = vim.api.nvim_get_current_buf()
  H.wait("the first diagnostics", function()
    return #vim.diagnostic.get(buf) > 0
  end)
end)

H.finish()
