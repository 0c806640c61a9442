-- Neovim 0.11+ reads `lsp/<name>.lua` from 'runtimepath': with editors/nvim on it,
-- `vim.lsp.enable("trustfix")` alone starts the server. require("trustfix").setup{} does the
-- same and adds the :Trustfix* commands, progress and status.
return {
  cmd = { "trustfix", "serve" },
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", ".git" },
  settings = { trustfix = {} },
}
