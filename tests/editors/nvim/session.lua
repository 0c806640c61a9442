-- One scripted Neovim session on the sample project, through the surefix plugin and the real
-- server. Usage (see tests/editors/test_nvim.py):
--   nvim --clean --headless -u init.lua -l session.lua <project-dir>
-- Writes what it saw to $SUREFIX_TEST_RESULT; pytest judges it. Exits 1 when a step cannot be
-- carried out (no client, no diagnostics, a timeout, a Lua error), 0 when every step ran.
local here = vim.fs.dirname(debug.getinfo(1, "S").source:sub(2))
local H = dofile(here .. "/harness.lua")
local surefix = require("surefix")

local project = assert(arg[1], "usage: -l session.lua <project-dir>")
local R = H.result
H.record_ui()

local function open(relative)
  vim.cmd.edit(vim.fn.fnameescape(project .. "/" .. relative))
  local buf = vim.api.nvim_get_current_buf()
  local client = H.wait("the surefix client to attach to " .. relative, function()
    local c = vim.lsp.get_clients({ bufnr = buf, name = "surefix" })[1]
    return c and c.initialized and c
  end)
  H.wait("diagnostics for " .. relative, function()
    return #vim.diagnostic.get(buf) > 0
  end)
  return buf, client
end

local function text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
end

--- Wait for the buffer to change from `tick`.
local function changed(buf, tick, what)
  H.wait(what, function()
    return vim.api.nvim_buf_get_changedtick(buf) ~= tick
  end)
end

local function count_code(buf, code)
  local n = 0
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == code then
      n = n + 1
    end
  end
  return n
end

--- The code actions for the whole buffer, as the server offers them for all its diagnostics.
local function all_code_actions(buf, client)
  local last = vim.api.nvim_buf_line_count(buf) - 1
  local diagnostics = vim.tbl_map(function(d)
    return d.user_data.lsp
  end, vim.diagnostic.get(buf))
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(buf),
    range = { start = { line = 0, character = 0 }, ["end"] = { line = last, character = 0 } },
    context = { diagnostics = diagnostics, triggerKind = 1 },
  }
  local response = client:request_sync("textDocument/codeAction", params, H.WAIT_MS, buf)
  assert(response and not response.err, "codeAction failed: " .. vim.inspect(response))
  return response.result or {}
end

local function summary(action)
  local facts = action.command and action.command.arguments and action.command.arguments[1] or {}
  local diagnostic = (action.diagnostics or {})[1]
  return {
    title = action.title,
    kind = action.kind,
    preferred = action.isPreferred == true,
    outcome = facts.outcome,
    rule = diagnostic and diagnostic.code or vim.NIL,
    start = diagnostic and diagnostic.range.start or vim.NIL,
  }
end

H.step("list the quick fixes of models.py", function()
  local buf, client = open("inventory/models.py")
  R.actions = vim.tbl_map(summary, all_code_actions(buf, client))
end)

H.step("fix all trusted fixes with :SurefixFixAll", function()
  local buf = open("inventory/report.py")
  R.fix_all = { before = text(buf) }
  local seen = #R.notifications
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  vim.cmd("SurefixFixAll")
  R.fix_all.notification = H.notification("trusted fix", seen)
  changed(buf, tick, "the fix-all edit")
  R.fix_all.after = text(buf)
  vim.cmd("silent write")
  seen = #R.echoes
  vim.cmd("SurefixFixAll") -- again: nothing left that it would apply, and the server says why
  R.fix_all.again = H.echoed("fix-all on report.py", seen)
end)

--- A line with fixable diagnostics of two rules or more, none of them at column 0.
local function line_of_two_rules(buf)
  local lines = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local line = lines[d.lnum] or { codes = {}, at_zero = false }
    lines[d.lnum] = line
    line.at_zero = line.at_zero or d.col == 0
    if d.user_data.lsp.data and d.user_data.lsp.data.fixable then
      line.codes[d.code] = true
    end
  end
  for lnum, line in vim.spairs(lines) do
    if not line.at_zero and #vim.tbl_keys(line.codes) >= 2 then
      return lnum
    end
  end
end

H.step("list the code actions of a line from column 0 as Neovim asks", function()
  local buf = open("inventory/models.py")
  local lnum = assert(line_of_two_rules(buf), "no line with fixable diagnostics of two rules")
  vim.api.nvim_win_set_cursor(0, { lnum + 1, 0 })
  local select = vim.ui.select
  local listed
  vim.ui.select = function(items, opts, on_choice) -- the menu the user would see; pick none
    listed = vim.tbl_map(opts.format_item, items)
    on_choice(nil)
  end
  vim.lsp.buf.code_action() -- the cursor (an empty range) and the line's diagnostics
  H.wait("the code-action menu", function()
    return listed
  end)
  vim.ui.select = select
  R.line_actions = { line = lnum, titles = listed }
end)

H.step("apply the preferred fix from the code-action menu", function()
  local buf = vim.api.nvim_get_current_buf()
  local chosen
  for _, action in ipairs(R.actions) do
    if action.preferred and action.outcome == "accepted" then
      chosen = action
      break
    end
  end
  assert(chosen, "no preferred quick fix was offered")
  local before = count_code(buf, chosen.rule)
  vim.api.nvim_win_set_cursor(0, { chosen.start.line + 1, chosen.start.character })
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  R.quick_fix = { chosen = chosen, before = text(buf), count_before = before }
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      return action.isPreferred and action.title == chosen.title
    end,
  })
  changed(buf, tick, "the quick fix to be applied")
  R.quick_fix.after = text(buf)
  R.quick_fix.count_after = H.wait("the fixed diagnostic to go away", function()
    local now = count_code(buf, chosen.rule)
    return now < before and now
  end)
  vim.cmd("silent write")
end)

H.step("hover over a fixable diagnostic", function()
  local buf = vim.api.nvim_get_current_buf()
  local target
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.user_data.lsp.data and d.user_data.lsp.data.fixable then
      target = d
      break
    end
  end
  assert(target, "no fixable diagnostic left to hover")
  vim.api.nvim_win_set_cursor(0, { target.lnum + 1, target.col })
  vim.lsp.buf.hover()
  local lines = H.wait("the hover window", function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= "" then
        return vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
      end
    end
  end)
  R.hover = { rule = target.code, text = table.concat(lines, "\n") }
  vim.cmd("fclose!")
end)

H.step("fix on save with fix_all_sync in BufWritePre", function()
  local buf = vim.api.nvim_get_current_buf()
  vim.api.nvim_create_autocmd("BufWritePre", { -- the README's snippet
    pattern = "*.py",
    callback = function(ev)
      require("surefix").fix_all_sync(ev.buf)
    end,
  })
  R.on_save = { before = text(buf) }
  vim.cmd("write")
  R.on_save.after = text(buf)
  R.on_save.modified = vim.bo[buf].modified
end)

H.step("retrain with :SurefixRetrain and see its progress end", function()
  local events = {}
  vim.api.nvim_create_autocmd("LspProgress", {
    callback = function(ev)
      local client = vim.lsp.get_client_by_id(ev.data.client_id)
      local value = ev.data.params.value
      if client and client.name == "surefix" and type(value) == "table" then
        table.insert(events, {
          kind = value.kind,
          title = value.title,
          message = value.message,
          percentage = value.percentage,
          shown = surefix.progress(),
        })
      end
    end,
  })
  vim.cmd("SurefixRetrain")
  H.wait("the retrain's progress to end", function()
    return #events > 0 and events[#events].kind == "end"
  end)
  R.retrain = { progress = events, after = surefix.progress() }
end)

H.step("write and open the report with :SurefixReport", function()
  local opened = {}
  -- What the user's browser would get; launch nothing here. A window/showDocument from the
  -- server would come through here too, before the command's answer.
  vim.ui.open = function(uri)
    table.insert(opened, uri)
    return vim.system({ "true" })
  end
  local seen = #R.notifications
  vim.cmd("SurefixReport")
  R.report = { notification = H.notification("report written to", seen), opened = opened }
end)

H.step("look at, export and purge the data with :SurefixData", function()
  local seen = #R.notifications
  vim.cmd("SurefixData stats")
  R.data = { stats = H.notification("recorded outcome", seen) }
  vim.cmd("SurefixData export csv")
  R.data.export = H.message("surefix: exported")
  local prompts = {}
  local answer = 2
  vim.fn.confirm = function(question)
    table.insert(prompts, question)
    return answer
  end
  seen = #R.notifications
  vim.cmd("SurefixData purge")
  R.data.declined = H.notification("nothing deleted", seen)
  answer = 1
  vim.cmd("SurefixData purge")
  R.data.purged = H.message("surefix: deleted")
  seen = #R.notifications
  vim.cmd("SurefixData stats")
  R.data.stats_after = H.notification("recorded outcome", seen)
  R.data.prompts = prompts
  R.data.completion = {
    verbs = vim.fn.getcompletion("SurefixData ", "cmdline"),
    formats = vim.fn.getcompletion("SurefixData export ", "cmdline"),
    reset = vim.fn.getcompletion("SurefixResetModel ", "cmdline"),
  }
end)

H.step("reset the model with :SurefixResetModel", function()
  vim.cmd("SurefixResetModel")
  R.reset = H.message("now using the model")
  R.status = surefix.status()
end)

H.finish()
