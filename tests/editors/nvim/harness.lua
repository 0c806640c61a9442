-- What every editor-test script needs: a result table written as JSON for pytest, waits that
-- fail loudly instead of hanging, and recorders for what the user would see (notifications,
-- the command line, :messages). Loaded with dofile() by the scripts beside it.
local H = {}

H.WAIT_MS = tonumber(vim.env.SUREFIX_TEST_WAIT_MS or "") or 60000
H.result = { steps = {}, notifications = {}, echoes = {} }

local out = assert(vim.env.SUREFIX_TEST_RESULT, "SUREFIX_TEST_RESULT must name the result file")

function H.write()
  local fh = assert(io.open(out, "w"))
  fh:write(vim.json.encode(H.result))
  fh:close()
end

--- Record the failure, write what was seen so far, and exit 1: pytest shows both.
function H.fail(message)
  H.result.error = message
  H.result.messages = H.messages()
  H.write()
  io.stderr:write("FAIL: " .. message .. "\n")
  os.exit(1)
end

--- Run `step` under a name; a Lua error in it fails the run with the step's name.
function H.step(name, step)
  local ok, err = xpcall(step, debug.traceback)
  if not ok then
    H.fail(name .. ": " .. tostring(err))
  end
  table.insert(H.result.steps, name)
end

--- Wait for `predicate` to return a truthy value, processing events meanwhile; return it.
function H.wait(what, predicate, ms)
  local value
  local ok = vim.wait(ms or H.WAIT_MS, function()
    value = predicate()
    return value ~= nil and value ~= false
  end, 20)
  if not ok then
    H.fail("timed out waiting for " .. what)
  end
  return value
end

--- The :messages history (window/showMessage lands there).
function H.messages()
  return vim.api.nvim_exec2("messages", { output = true }).output
end

--- The first :messages line containing `text` (plain match), waiting for it.
function H.message(text)
  return H.wait("a message containing " .. text, function()
    for line in vim.gsplit(H.messages(), "\n", { plain = true }) do
      if line:find(text, 1, true) then
        return line
      end
    end
  end)
end

--- An editor as a `--clean` script needs it: the plugin on the runtimepath, no swap files, and
--- no Python provider (ftplugin/python.vim would probe it: 0.5 s per start).
function H.editor()
  vim.g.loaded_python3_provider = 0
  vim.opt.swapfile = false
  vim.opt.runtimepath:prepend(assert(vim.env.SUREFIX_PLUGIN_DIR, "SUREFIX_PLUGIN_DIR is not set"))
end

--- Notifications and command-line echoes, as the user would see them, recorded in order.
function H.record_ui()
  local notify = vim.notify
  vim.notify = function(message, level, opts)
    table.insert(H.result.notifications, { message = message, level = level })
    return notify(message, level, opts)
  end
  local echo = vim.api.nvim_echo
  vim.api.nvim_echo = function(chunks, history, opts)
    local text = table.concat(vim.tbl_map(function(chunk)
      return chunk[1]
    end, chunks))
    table.insert(H.result.echoes, text)
    return echo(chunks, history, opts)
  end
end

--- The first notification containing `text` after the `since`-th one, waiting for it.
function H.notification(text, since)
  return H.wait("a notification containing " .. text, function()
    for i = (since or 0) + 1, #H.result.notifications do
      local message = H.result.notifications[i].message
      if message:find(text, 1, true) then
        return message
      end
    end
  end)
end

--- The first command-line echo containing `text` after the `since`-th one, waiting for it: a
--- server's window/showMessage reaches the user as one.
function H.echoed(text, since)
  return H.wait("an echo containing " .. text, function()
    for i = (since or 0) + 1, #H.result.echoes do
      if H.result.echoes[i]:find(text, 1, true) then
        return H.result.echoes[i]
      end
    end
  end)
end

function H.finish()
  for _, client in ipairs(vim.lsp.get_clients()) do
    client:stop()
  end
  vim.wait(5000, function()
    return #vim.lsp.get_clients() == 0
  end, 20)
  H.result.messages = H.messages()
  H.result.ok = true
  H.write()
  vim.cmd("qall!")
end

return H
