-- The Neovim 0.10 code path (a FileType autocmd and vim.lsp.start), run on 0.11 by making
-- has("nvim-0.11") answer 0 for the plugin. It checks the path's own logic — root detection,
-- one client per root, commands on the dot-call client API — not 0.10's API itself.
-- Usage: nvim --clean --headless -l fallback.lua <project-dir>
local here = vim.fs.dirname(debug.getinfo(1, "S").source:sub(2))
local H = dofile(here .. "/harness.lua")
H.record_ui()
H.editor()
local project = assert(arg[1], "usage: -l fallback.lua <project-dir>")

local has = vim.fn.has
vim.fn.has = function(feature)
  return feature == "nvim-0.11" and 0 or has(feature)
end

local function open(relative)
  vim.cmd.edit(vim.fn.fnameescape(project .. "/" .. relative))
  local buf = vim.api.nvim_get_current_buf()
  H.wait("diagnostics for " .. relative, function()
    return #vim.diagnostic.get(buf) > 0
  end)
  return buf
end

H.step("set up on the fallback path", function()
  H.result.setup = require("surefix").setup({ settings = { badgeStyle = "ascii" } })
  H.result.native = vim.lsp.config ~= nil and vim.lsp.is_enabled and vim.lsp.is_enabled("surefix")
end)

H.step("open two files of one project", function()
  local first = open("inventory/models.py")
  local second = open("inventory/report.py")
  local clients = vim.lsp.get_clients({ name = "surefix" })
  H.result.clients = #clients
  H.result.root = clients[1].config.root_dir
  H.result.attached = {
    vim.lsp.buf_is_attached(first, clients[1].id),
    vim.lsp.buf_is_attached(second, clients[1].id),
  }
end)

H.step("fix all in report.py", function()
  local buf = vim.api.nvim_get_current_buf()
  local before = vim.api.nvim_buf_get_changedtick(buf)
  local seen = #H.result.notifications
  vim.cmd("SurefixFixAll")
  H.result.fix_all = H.notification("trusted fix", seen)
  H.wait("the fix-all edit", function()
    return vim.api.nvim_buf_get_changedtick(buf) ~= before
  end)
end)

H.finish()
