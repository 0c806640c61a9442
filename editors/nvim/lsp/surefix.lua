-- Neovim 0.11+ reads `lsp/<name>.lua` from 'runtimepath': with editors/nvim on it,
-- `vim.lsp.enable("surefix")` alone starts the server. require("surefix").setup{} does the
-- same and adds the :Surefix* commands, progress and status.
return {
  cmd = { "surefix", "serve" },
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", ".git" },
  settings = { surefix = vim.empty_dict() }, -- `{}` alone would be sent as a JSON array
}
