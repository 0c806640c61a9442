-- The editor test's user config: what the README tells a Neovim user to write, plus quiet start.
-- SUREFIX_PLUGIN_DIR is the repository's editors/nvim; `surefix` must be on PATH.
vim.g.loaded_python3_provider = 0 -- ftplugin/python.vim would probe it: 0.5 s per start
vim.opt.swapfile = false
vim.opt.runtimepath:prepend(assert(vim.env.SUREFIX_PLUGIN_DIR, "SUREFIX_PLUGIN_DIR is not set"))

-- A non-default setting, so the test sees that settings reach the server.
require("surefix").setup({
  settings = { badgeStyle = "ascii" },
})
