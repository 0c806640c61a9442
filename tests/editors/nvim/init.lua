-- The editor test's user config: what the README tells a Neovim user to write, plus quiet start.
-- TRUSTFIX_PLUGIN_DIR is the repository's editors/nvim; `trustfix` must be on PATH.
vim.g.loaded_python3_provider = 0 -- ftplugin/python.vim would probe it: 0.5 s per start
vim.opt.swapfile = false
vim.opt.runtimepath:prepend(assert(vim.env.TRUSTFIX_PLUGIN_DIR, "TRUSTFIX_PLUGIN_DIR is not set"))

-- A non-default setting, so the test sees that settings reach the server.
require("trustfix").setup({
  settings = { badgeStyle = "ascii" },
})
