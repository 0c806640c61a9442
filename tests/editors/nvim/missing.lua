-- setup{} with a server command that does not exist: the user must be told what to do.
-- Usage: nvim --clean --headless -l missing.lua   (no init file: this script is the config)
local here = vim.fs.dirname(debug.getinfo(1, "S").source:sub(2))
local H = dofile(here .. "/harness.lua")
H.record_ui()
vim.opt.runtimepath:prepend(assert(vim.env.SUREFIX_PLUGIN_DIR, "SUREFIX_PLUGIN_DIR is not set"))

H.step("set up with a missing executable", function()
  H.result.setup = require("surefix").setup({ cmd = { "surefix-not-installed", "serve" } })
  H.result.commands = vim.fn.exists(":SurefixRetrain") == 2
end)

H.step("open a Python file", function()
  vim.g.loaded_python3_provider = 0
  local file = assert(arg[1], "usage: -l missing.lua <file.py>")
  vim.cmd.edit(vim.fn.fnameescape(file))
  H.result.clients = #vim.lsp.get_clients()
end)

H.finish()
