--- surefix for Neovim's built-in LSP client.
---
--- `require("surefix").setup{}` starts `surefix serve` for Python buffers (vim.lsp.config and
--- vim.lsp.enable on 0.11+, a FileType autocmd with vim.lsp.start on 0.10), passes the user's
--- settings as the `surefix` section, and adds the :Surefix* commands. The server does the
--- work and words every result in a window/showMessage; this file only sends requests, applies
--- what comes back, opens the report the server wrote, and makes progress and status visible.
--- On save it can fix, organize imports and format, in that order (`fix_all_on_save`,
--- `organize_imports_on_save`, `format_on_save`).
local M = {}

M.name = "surefix"
M.FIX_ALL_KIND = "source.fixAll.surefix"
M.ORGANIZE_KIND = "source.organizeImports.surefix"

local DATA_VERBS = { "stats", "export", "purge" }
local EXPORT_FORMATS = { "json", "csv" }
local LIST_OPTIONS = { "cmd", "filetypes", "root_markers" }
--- How long fix_all_sync may hold a save, by default: enough for a server that is still
--- starting (a save right after opening the file) to start, lint and answer.
local SAVE_TIMEOUT_MS = 4000
--- What the plugin tells the server it does itself (`capabilities.experimental.surefix`): it
--- opens the report, so the server does not ask for window/showDocument.
local CLIENT_FEATURES = { reportInEditor = true }

local defaults = {
  cmd = { "surefix", "serve" },
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", ".git" },
  settings = {}, -- the `surefix.*` settings, camelCase: { autoThreshold = 0.9, ... }
  token = nil, -- the session token of `surefix serve --tcp` (cmd = vim.lsp.rpc.connect(...))
  progress = true, -- echo work-done progress (retrain) in the command line
  commands = true, -- define the :Surefix* user commands
  fix_all_on_save = false, -- on write: apply the trusted fixes (fix_all_sync), then
  organize_imports_on_save = false, -- organize the imports, then
  format_on_save = false, -- format with `ruff format`: fixes can leave code to re-lay
  on_attach = nil,
  capabilities = nil,
}

--- What setup{} was given, over the defaults; read by the commands.
M.config = vim.deepcopy(defaults)

--- The last `surefix/status` per client id: the model in use and whether outcomes are kept.
local statuses = {}
--- The newest progress line per token, while the work runs.
local running = {}

local function notify(message, level)
  vim.notify("surefix: " .. message, level or vim.log.levels.INFO)
end

--- 0.11 deprecates `client.request(...)` for `client:request(...)`; 0.10 only has the former.
local function request(client, method, params, handler, bufnr)
  if vim.fn.has("nvim-0.11") == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function request_sync(client, method, params, timeout_ms, bufnr)
  if vim.fn.has("nvim-0.11") == 1 then
    return client:request_sync(method, params, timeout_ms, bufnr)
  end
  return client.request_sync(method, params, timeout_ms, bufnr)
end

local function supports(client, method)
  if vim.fn.has("nvim-0.11") == 1 then
    return client:supports_method(method)
  end
  return client.supports_method(method)
end

--- Whether `cmd` can start; a missing executable is the most common first-run failure, and
--- Neovim's own report of it ("spawn: ENOENT") does not say what to do.
local function missing_executable(cmd)
  if type(cmd) ~= "table" or type(cmd[1]) ~= "string" then
    return nil -- a function cmd (e.g. vim.lsp.rpc.connect) is the user's business
  end
  if vim.fn.executable(cmd[1]) == 1 then
    return nil
  end
  return cmd[1]
end

local function missing_message(exe)
  return ("cannot start the language server: `%s` is not an executable on PATH.\n"
    .. "Install it from a clone of surefix (`pipx install .`, or `pip install .` into a venv),\n"
    .. "or give its full path:\n"
    .. '  require("surefix").setup{ cmd = { "/path/to/.venv/bin/surefix", "serve" } }'):format(
    exe
  )
end

local function on_status(_, result, ctx)
  statuses[ctx.client_id] = result
  vim.api.nvim_exec_autocmds("User", { pattern = "SurefixStatus", modeline = false })
end

--- The user's settings as a JSON object: an empty Lua table would be encoded as `[]`.
local function settings_object(settings)
  if settings == nil or next(settings) == nil then
    return vim.empty_dict()
  end
  return settings
end

--- Neovim's own capabilities (0.10 does not merge the user's over them), the user's, and ours.
local function client_capabilities(user)
  return vim.tbl_deep_extend(
    "force",
    vim.lsp.protocol.make_client_capabilities(),
    user or {},
    { experimental = { surefix = CLIENT_FEATURES } }
  )
end

--- The client configuration both code paths start the server with.
function M.client_config(opts)
  local settings = settings_object(opts.settings)
  return {
    name = M.name,
    cmd = opts.cmd,
    filetypes = opts.filetypes,
    root_markers = opts.root_markers,
    -- The server asks for section `surefix` (workspace/configuration) and also reads
    -- initializationOptions, so settings count before its first lint.
    settings = { surefix = settings },
    -- The token is read by a `--tcp` server's gate, which removes it before the server sees
    -- the options; over stdio there is none.
    init_options = { surefix = settings, token = opts.token },
    handlers = { ["surefix/status"] = on_status },
    on_attach = opts.on_attach,
    capabilities = client_capabilities(opts.capabilities),
  }
end

--- Neovim 0.11+: the built-in config registry; `vim.lsp.enable` attaches to Python buffers,
--- including those already open when setup{} runs.
local function enable_native(config)
  local native = vim.tbl_extend("force", {}, config)
  native.name = nil
  vim.lsp.config(M.name, native)
  vim.lsp.enable(M.name)
end

local function start_in(bufnr, config)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return
  end
  local path = vim.api.nvim_buf_get_name(bufnr)
  local root = vim.fs.root(bufnr, config.root_markers) or vim.fs.dirname(path)
  local start = vim.tbl_extend("force", {}, config, { root_dir = root })
  start.filetypes, start.root_markers = nil, nil
  vim.lsp.start(start, { bufnr = bufnr })
end

--- Neovim 0.10: start (or reuse, per root) a client for each Python buffer.
local function enable_fallback(config)
  local group = vim.api.nvim_create_augroup("surefix.start", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = config.filetypes,
    callback = function(ev)
      start_in(ev.buf, config)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    local python = vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype)
    if vim.api.nvim_buf_is_loaded(bufnr) and python then
      start_in(bufnr, config)
    end
  end
end

--- The surefix client serving `bufnr` (the current buffer by default), else any running one:
--- the data and model commands are not about a buffer.
function M.client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local clients = vim.lsp.get_clients({ bufnr = bufnr, name = M.name })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = M.name })
  end
  return clients[1]
end

local function need_client(bufnr)
  local client = M.client(bufnr)
  if not client then
    notify("the language server is not running; open a Python file first", vim.log.levels.WARN)
  end
  return client
end

--- `workspace/executeCommand` on the surefix client; `on_result(result)` runs on success.
--- Errors are shown, since a failed command would otherwise pass silently.
function M.execute(command, arguments, on_result, bufnr)
  local client = need_client(bufnr)
  if not client then
    return false
  end
  local params = { command = command, arguments = arguments or {} }
  request(client, "workspace/executeCommand", params, function(err, result)
    if err then
      local reason = err.message or vim.inspect(err)
      notify(("%s failed: %s"):format(command, reason), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
  end, bufnr)
  return true
end

local function whole_buffer(bufnr)
  local last = vim.api.nvim_buf_line_count(bufnr) - 1
  local text = vim.api.nvim_buf_get_lines(bufnr, last, last + 1, false)[1] or ""
  return { start = { line = 0, character = 0 }, ["end"] = { line = last, character = #text } }
end

local function applied_message(action)
  local count = action.title:match("apply (%d+) trusted fix")
  if count == "0" then
    return "no fix is trusted enough to apply automatically"
  end
  if not count then
    return action.title
  end
  local held = action.title:match("%((%d+) held back%)")
  local back = held and ("; %s held back (:SurefixFixAll again says why)"):format(held) or ""
  return ("applied %s trusted fix%s%s"):format(count, count == "1" and "" or "es", back)
end

--- Apply a fix-all action the way the server sent it: with its edit, to be resolved, or as a
--- command (the server then sends workspace/applyEdit itself).
local function apply_fix_all(client, bufnr, action, done)
  if action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
    notify(applied_message(action))
    return done(action)
  end
  if action.command then
    local command = action.command
    return M.execute(command.command, command.arguments, function(result)
      notify(("applied %d trusted fixes"):format(result and result.applied or 0))
      done(action)
    end, bufnr)
  end
  if action.data and supports(client, "codeAction/resolve") then
    return request(client, "codeAction/resolve", action, function(err, resolved)
      if err or not resolved or not resolved.edit then
        notify("the file changed while the fixes were computed; run it again", vim.log.levels.WARN)
        return done(nil)
      end
      apply_fix_all(client, bufnr, resolved, done)
    end, bufnr)
  end
  done(nil)
end

--- Apply every fix in the auto-apply band (`source.fixAll.surefix`) to the buffer.
--- `done(action)` runs afterwards, with nil when nothing was applied.
function M.fix_all(bufnr, done)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  done = done or function() end
  local client = need_client(bufnr)
  if not client then
    return done(nil)
  end
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = whole_buffer(bufnr),
    context = { diagnostics = {}, only = { M.FIX_ALL_KIND }, triggerKind = 1 },
  }
  request(client, "textDocument/codeAction", params, function(err, actions)
    if err then
      notify("fix-all failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return done(nil)
    end
    for _, action in ipairs(actions or {}) do
      if action.kind == M.FIX_ALL_KIND and action.disabled then
        notify(action.disabled.reason)
        return done(nil)
      end
      if action.kind == M.FIX_ALL_KIND then
        return apply_fix_all(client, bufnr, action, done)
      end
    end
    -- No action: the server has said why (which fixes it holds back, or that there are none).
    done(nil)
  end, bufnr)
end

local function now_ms()
  return vim.uv.hrtime() / 1e6
end

--- Whether setup{} (or vim.lsp.enable) will start a surefix client for `bufnr`.
local function expects_client(bufnr)
  local enabled = M.started or (vim.lsp.is_enabled ~= nil and vim.lsp.is_enabled(M.name))
  return enabled and vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype)
end

--- The surefix client attached to `bufnr` once it is initialized (and has sent didOpen).
local function ready_client(bufnr)
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = M.name })[1]
  if client and client.initialized and vim.lsp.buf_is_attached(bufnr, client.id) then
    return client
  end
end

--- The ready surefix client of `bufnr`, waiting at most `timeout` ms for one that is still
--- starting (a save right after `:e`); else nil and why, in words.
local function wait_client(bufnr, timeout)
  local client = ready_client(bufnr)
  if client then
    return client
  end
  if not expects_client(bufnr) then
    return nil, "the surefix language server is not running for this buffer"
  end
  vim.wait(timeout, function()
    client = ready_client(bufnr)
    return client ~= nil
  end, 10)
  if not client then
    return nil, ("the language server did not start within %d ms"):format(timeout)
  end
  return client
end

local function not_fixed(reason)
  notify("not fixed on save: " .. reason, vim.log.levels.WARN)
  return false
end

--- Fix-all that returns only once the edit is in the buffer, for BufWritePre: an asynchronous
--- edit would land after the write and leave the buffer modified. A save right after the file
--- was opened comes before the server is up: it waits for it. All of it takes at most
--- `timeout_ms` (default 4000); a save it could not fix says why, once. Returns whether it
--- applied fixes (false also when none was trusted enough, which it does not announce).
function M.fix_all_sync(bufnr, timeout_ms)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local timeout = timeout_ms or SAVE_TIMEOUT_MS
  local deadline = now_ms() + timeout
  local client, why = wait_client(bufnr, timeout)
  if not client then
    return not_fixed(why)
  end
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = whole_buffer(bufnr),
    context = { diagnostics = {}, only = { M.FIX_ALL_KIND }, triggerKind = 2 },
  }
  local left = math.max(1, math.floor(deadline - now_ms()))
  local response, err = request_sync(client, "textDocument/codeAction", params, left, bufnr)
  if not response then
    if err == "timeout" then
      return not_fixed(("the language server did not answer within %d ms"):format(timeout))
    end
    return not_fixed(tostring(err))
  end
  if response.err then
    return not_fixed(response.err.message or vim.inspect(response.err))
  end
  for _, action in ipairs(response.result or {}) do
    if action.kind == M.FIX_ALL_KIND and action.edit then
      vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
      return true
    end
  end
  return false
end

--- The buffer number `bufnr` stands for (nil or 0: the current buffer).
local function buffer(bufnr)
  return (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
end

--- One synchronous request to the surefix client of `bufnr`: its result, or nil and why.
local function ask(client, bufnr, method, params, timeout)
  local response, err = request_sync(client, method, params, timeout, bufnr)
  if not response then
    if err == "timeout" then
      return nil, ("the language server did not answer within %d ms"):format(timeout)
    end
    return nil, tostring(err)
  end
  if response.err then
    return nil, response.err.message or vim.inspect(response.err)
  end
  return response.result or vim.NIL
end

--- Whether a workspace edit changes anything (an organize-imports edit can be empty).
local function edits_anything(edit)
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.edits and #change.edits > 0 then
      return true
    end
  end
  for _, edits in pairs(edit.changes or {}) do
    if #edits > 0 then
      return true
    end
  end
  return false
end

--- Format the buffer with `ruff format` (textDocument/formatting), synchronously, so it also
--- serves BufWritePre. Returns whether it changed the buffer, and what to say (nil: nothing).
--- No edits is "formatted already" — or a file Ruff cannot parse, which the server logs and
--- the diagnostics show.
function M.format_sync(bufnr, timeout_ms)
  bufnr = buffer(bufnr)
  local timeout = timeout_ms or SAVE_TIMEOUT_MS
  local deadline = now_ms() + timeout
  local client, why = wait_client(bufnr, timeout)
  if not client then
    return false, why
  end
  if not supports(client, "textDocument/formatting") then
    return false, "formatting is off (settings.format.enable = false)"
  end
  local params = vim.lsp.util.make_formatting_params()
  params.textDocument = vim.lsp.util.make_text_document_params(bufnr)
  local left = math.max(1, math.floor(deadline - now_ms()))
  local edits, err = ask(client, bufnr, "textDocument/formatting", params, left)
  if edits == nil then
    return false, err
  end
  if edits == vim.NIL or #edits == 0 then
    return false, nil
  end
  vim.lsp.util.apply_text_edits(edits, bufnr, client.offset_encoding)
  return true, nil
end

--- Organize the buffer's imports (`source.organizeImports.surefix`), synchronously. `invoked`
--- says the user asked (a command) rather than a save: the server then says why it cannot,
--- where it cannot organize them. Returns whether it changed the buffer, what to say, and
--- whether the server offered the action at all (it does not for a file it cannot parse).
function M.organize_imports_sync(bufnr, timeout_ms, invoked)
  bufnr = buffer(bufnr)
  local timeout = timeout_ms or SAVE_TIMEOUT_MS
  local deadline = now_ms() + timeout
  local client, why = wait_client(bufnr, timeout)
  if not client then
    return false, why
  end
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = whole_buffer(bufnr),
    context = { diagnostics = {}, only = { M.ORGANIZE_KIND }, triggerKind = invoked and 1 or 2 },
  }
  local left = math.max(1, math.floor(deadline - now_ms()))
  local actions, err = ask(client, bufnr, "textDocument/codeAction", params, left)
  if actions == nil then
    return false, err
  end
  for _, action in ipairs(actions ~= vim.NIL and actions or {}) do
    if action.kind == M.ORGANIZE_KIND and action.disabled then
      return false, action.disabled.reason, true
    end
    if action.kind == M.ORGANIZE_KIND and action.edit then
      if not edits_anything(action.edit) then
        return false, nil, true
      end
      vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
      return true, nil, true
    end
  end
  return false, nil, false -- a file Ruff cannot parse: the server says why
end

--- :SurefixFormat
function M.format(bufnr)
  local changed, why = M.format_sync(bufnr)
  if why then
    notify("not formatted: " .. why, vim.log.levels.WARN)
  elseif not changed then
    notify("nothing to format")
  end
  return changed
end

--- :SurefixOrganizeImports
function M.organize_imports(bufnr)
  local changed, why, offered = M.organize_imports_sync(bufnr, nil, true)
  if why then
    notify("imports not organized: " .. why, vim.log.levels.WARN)
  elseif offered and not changed then
    notify("the imports are in order")
  end
  return changed
end

--- BufWritePre, with `fix_all_on_save`, `organize_imports_on_save` and `format_on_save`:
--- the fixes, then the imports, then the layout, as Ruff recommends (`ruff check --fix`, then
--- `ruff format`: a fix can leave code the formatter re-lays), within one bound for all. A
--- save it could not handle says why, once; nothing changed says nothing.
local function on_save(ev)
  if not vim.tbl_contains(M.config.filetypes, vim.bo[ev.buf].filetype) then
    return
  end
  local deadline = now_ms() + SAVE_TIMEOUT_MS
  local function left()
    return math.max(1, math.floor(deadline - now_ms()))
  end
  if M.config.fix_all_on_save then
    M.fix_all_sync(ev.buf, left())
  end
  if M.config.organize_imports_on_save then
    local _, why = M.organize_imports_sync(ev.buf, left())
    if why then
      notify("imports not organized on save: " .. why, vim.log.levels.WARN)
    end
  end
  if M.config.format_on_save then
    local _, why = M.format_sync(ev.buf, left())
    if why then
      notify("not formatted on save: " .. why, vim.log.levels.WARN)
    end
  end
end

local function watch_saves()
  local group = vim.api.nvim_create_augroup("surefix.save", { clear = true })
  local c = M.config
  if c.fix_all_on_save or c.organize_imports_on_save or c.format_on_save then
    vim.api.nvim_create_autocmd("BufWritePre", { group = group, callback = on_save })
  end
end

--- The commands below leave the wording of results to the server (its window/showMessage);
--- they add only what the server does not say.
function M.retrain(on_result)
  return M.execute("surefix.retrain", {}, on_result)
end

--- Open the report the server wrote (`{path, uri}`) and say where it is, in one message.
function M.open_report(result)
  if not (result and result.path) then
    return
  end
  local ok, err = false, "vim.ui.open needs Neovim 0.10"
  if vim.ui.open then
    local opened, why = vim.ui.open(result.path)
    ok, err = opened ~= nil, why
  end
  if ok then
    notify("report written to " .. result.path)
  else
    notify(("report written to %s (not opened: %s)"):format(result.path, err), vim.log.levels.WARN)
  end
end

--- Write the model report and open it: the server only writes it, since the plugin tells it
--- (`reportInEditor`) that it opens the file itself. `on_result(result)` replaces the opening.
function M.report(on_result)
  return M.execute("surefix.showReport", {}, on_result or M.open_report)
end

function M.reset_model(to, on_result)
  return M.execute("surefix.resetModel", to and { { to = to } } or {}, on_result)
end

local function stats_words(stats)
  local kinds = {}
  for kind, n in pairs(stats.outcomes or {}) do
    if n > 0 then
      table.insert(kinds, ("%d %s"):format(n, kind))
    end
  end
  table.sort(kinds)
  local events = stats.events or 0
  local words = ("%d recorded outcome%s"):format(events, events == 1 and "" or "s")
  if #kinds > 0 then
    words = words .. " (" .. table.concat(kinds, ", ") .. ")"
  end
  if stats.path then
    words = words .. " in " .. stats.path
  end
  if stats.collecting == false then
    words = words .. "; collection is off"
  end
  return words
end

function M.data_stats(on_result)
  return M.execute("surefix.dataStats", {}, on_result or function(stats)
    notify(stats_words(stats or {}))
  end)
end

function M.data_export(format, on_result)
  return M.execute("surefix.dataExport", { { format = format or "json" } }, on_result)
end

--- Purge asks first, naming how much it deletes: there is no undo.
function M.data_purge(on_result)
  return M.data_stats(function(stats)
    local question = ("Delete all %d recorded surefix outcomes? This cannot be undone."):format(
      (stats or {}).events or 0
    )
    if vim.fn.confirm(question, "&Delete\n&Cancel", 2) ~= 1 then
      notify("nothing deleted")
      if on_result then
        on_result(nil)
      end
      return
    end
    M.execute("surefix.dataPurge", {}, on_result)
  end)
end

function M.data(verb, arg, on_result)
  if verb == "stats" then
    return M.data_stats(on_result)
  elseif verb == "export" then
    if arg and not vim.tbl_contains(EXPORT_FORMATS, arg) then
      notify(("export format must be json or csv, not %q"):format(arg), vim.log.levels.ERROR)
      return false
    end
    return M.data_export(arg, on_result)
  elseif verb == "purge" then
    return M.data_purge(on_result)
  end
  notify(("usage: :SurefixData {%s}"):format(table.concat(DATA_VERBS, ",")), vim.log.levels.ERROR)
  return false
end

--- :SurefixSuggest: the Ruff settings your record asks for, for this buffer's rules. Each is
--- shown as its diff and asked about: write it (the server sends the edit, Neovim applies it to
--- the configuration's buffer, which you then save), never suggest it again, or not now.
function M.suggest(bufnr, on_result)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local uri = vim.uri_from_bufnr(bufnr)
  return M.execute("surefix.suggestConfig", { { uri = uri } }, function(result)
    local found = (result or {}).suggestions or {}
    local answers = {}
    if #found == 0 then
      notify("your record with this file's rules suggests no Ruff configuration")
    end
    local function ask(i)
      local s = found[i]
      if not s then
        if on_result then
          on_result(answers)
        end
        return
      end
      local question = ("%s\nBecause %s.\n\n%s"):format(s.title, s.reason, s.diff)
      if not s.applicable then
        notify(("%s: %s"):format(s.title, s.why_not or "cannot be written"), vim.log.levels.WARN)
        answers[i] = "not applicable"
        return ask(i + 1)
      end
      local answer = ({ "apply", "dismiss" })[vim.fn.confirm(question, "&Write\n&Never\n&Not now", 3)]
      if not answer then
        answers[i] = "not now"
        return ask(i + 1)
      end
      M.execute("surefix.suggestConfig", { { id = s.id, answer = answer } }, function(reply)
        answers[i] = reply
        if answer == "apply" and reply and reply.applied == false then
          notify(("not written: %s"):format(reply.reason or "?"), vim.log.levels.WARN)
        elseif answer == "apply" then
          notify(("%s written into %s: save it to keep it"):format(s.setting, s.file))
        end
        ask(i + 1)
      end, bufnr)
    end
    ask(1)
  end, bufnr)
end

local function matching(options, lead)
  return vim.tbl_filter(function(option)
    return vim.startswith(option, lead)
  end, options)
end

local function complete_data(lead, line)
  local words = vim.split(vim.trim(line), "%s+")
  local position = #words + (line:match("%s$") and 1 or 0)
  if position == 2 then
    return matching(DATA_VERBS, lead)
  end
  if position == 3 and words[2] == "export" then
    return matching(EXPORT_FORMATS, lead)
  end
  return {}
end

local function define_commands()
  local command = vim.api.nvim_create_user_command
  command("SurefixFixAll", function()
    M.fix_all(0)
  end, { desc = "surefix: apply every fix in the auto-apply band to this buffer" })
  command("SurefixFormat", function()
    M.format(0)
  end, { desc = "surefix: format this buffer with ruff format" })
  command("SurefixOrganizeImports", function()
    M.organize_imports(0)
  end, { desc = "surefix: organize this buffer's imports" })
  command("SurefixRetrain", function()
    M.retrain()
  end, { desc = "surefix: retrain the trust model on your outcomes" })
  command("SurefixReport", function()
    M.report()
  end, { desc = "surefix: write and open the model report" })
  command("SurefixSuggest", function()
    M.suggest(0)
  end, { desc = "surefix: show and write the Ruff configuration your record suggests" })
  command("SurefixResetModel", function(args)
    M.reset_model(args.args ~= "" and args.args or nil)
  end, {
    nargs = "?",
    complete = function(lead)
      return matching({ "bundled" }, lead)
    end,
    desc = "surefix: back to the previous model (or `bundled`)",
  })
  command("SurefixData", function(args)
    M.data(args.fargs[1], args.fargs[2])
  end, {
    nargs = "+",
    complete = complete_data,
    desc = "surefix: local data {stats,export,purge}",
  })
end

--- A one-line progress string for the command line, from an LspProgress event's value.
local function progress_line(title, value)
  local line = title or "surefix"
  if value.percentage then
    line = ("%s %d%%"):format(line, value.percentage)
  end
  if value.message and value.message ~= "" then
    line = line .. " - " .. value.message
  end
  return line
end

--- Neovim shows nothing of $/progress by itself; echo surefix's so a retrain is visibly
--- running, and forget the token when it ends.
local function on_progress(ev)
  local data = ev.data or {}
  local client = vim.lsp.get_client_by_id(data.client_id or -1)
  local params = data.params or {}
  local value = params.value
  if not client or client.name ~= M.name or type(value) ~= "table" then
    return
  end
  local token = tostring(params.token)
  if value.kind == "begin" then
    running[token] = { title = value.title }
  end
  local title = (running[token] or {}).title
  if value.kind == "end" then
    running[token] = nil
    local line = progress_line(title, { message = value.message or "done" })
    vim.api.nvim_echo({ { line } }, false, {})
  else
    local line = progress_line(title, value)
    if running[token] then
      running[token].line = line
    end
    vim.api.nvim_echo({ { line } }, false, {})
  end
end

local function watch_progress()
  local group = vim.api.nvim_create_augroup("surefix.progress", { clear = true })
  vim.api.nvim_create_autocmd("LspProgress", { group = group, callback = on_progress })
end

--- The running work (e.g. "surefix: retraining 40% - fitting"), or "": for a statusline.
function M.progress()
  for _, work in pairs(running) do
    return work.line or work.title or ""
  end
  return ""
end

--- "surefix <model> · data on|off" for a statusline, or "" when no server is running.
--- Redraw on `User SurefixStatus`.
function M.status()
  local client = M.client()
  local status = client and statuses[client.id]
  if not status then
    return ""
  end
  return ("surefix %s · data %s"):format(status.model or "?", status.collecting and "on" or "off")
end

--- Start surefix for Python buffers. Returns false (and says why) when it cannot start.
function M.setup(opts)
  opts = opts or {}
  M.started = false
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts)
  for _, key in ipairs(LIST_OPTIONS) do
    M.config[key] = opts[key] or defaults[key] -- lists replace, never merge index by index
  end
  if M.config.commands then
    define_commands()
  end
  if M.config.progress then
    watch_progress()
  end
  watch_saves()
  local exe = missing_executable(M.config.cmd)
  if exe then
    notify(missing_message(exe), vim.log.levels.ERROR)
    return false
  end
  local config = M.client_config(M.config)
  M.started = true
  if vim.fn.has("nvim-0.11") == 1 then
    enable_native(config)
  else
    enable_fallback(config)
  end
  return true
end

return M
