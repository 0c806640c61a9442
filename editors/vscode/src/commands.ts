// The command palette entries. Each one is a `workspace/executeCommand` request to the server;
// the work (training, reports, the store) happens there, the extension only asks and shows
// (the report in a webview panel of its own, see report.ts).
//
// The palette ids are `surefix.vscode.*` and not the server's own ids on purpose: the language
// client already registers a VS Code command for every command the server advertises (that is
// how a quick fix's `surefix.recordOutcome` runs), and two registrations of one id would fail.
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient, ProgressToken, WorkDoneProgress } from 'vscode-languageclient/node';
import { ReportFile, ReportPanel } from './report';

/** The running client, or undefined while the server is not up. */
export type ClientSource = () => LanguageClient | undefined;

export const SHOW_REPORT = 'surefix.vscode.showReport';

export function registerCommands(
  client: ClientSource,
  restart: () => Promise<void>,
  report: ReportPanel,
): vscode.Disposable[] {
  const palette: Record<string, () => Promise<unknown>> = {
    'surefix.vscode.retrain': () => retrain(client),
    [SHOW_REPORT]: () => showReport(client, report),
    'surefix.vscode.applyTrustedFixes': () => applyTrustedFixes(client),
    'surefix.vscode.suggestConfig': () => suggestConfig(client),
    'surefix.vscode.resetModel': () => resetModel(client),
    'surefix.vscode.dataStats': () => showData(client),
    'surefix.vscode.dataExport': () => exportData(client),
    'surefix.vscode.dataPurge': () => purgeData(client),
    'surefix.vscode.restartServer': restart,
  };
  return Object.entries(palette).map(([id, run]) => vscode.commands.registerCommand(id, () => reportErrors(run)));
}

/** Any failure becomes one error notification with the server's words, never a silent no-op. */
async function reportErrors(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`surefix: ${reason}`);
  }
}

async function execute<T>(
  client: ClientSource,
  command: string,
  args: unknown[] = [],
  workDoneToken?: ProgressToken,
): Promise<T | null> {
  const running = client();
  if (running === undefined || !running.isRunning()) {
    throw new Error('the language server is not running (Surefix: Restart server starts it again)');
  }
  return (await running.sendRequest(ExecuteCommandRequest.type, { command, arguments: args, workDoneToken })) as T | null;
}

interface RetrainResult {
  promoted: boolean;
  message: string;
  version: string | null;
}

/** Retraining takes a while: a notification stays up until the request returns. The server
 * also reports percentages as work-done progress (the language client shows those in the status
 * bar), forwarded here too if it ever honours the request's own token. It reports the outcome
 * itself (window/showMessage), so nothing is added. */
async function retrain(client: ClientSource): Promise<RetrainResult | null> {
  const token = `surefix-retrain-${Date.now()}`;
  const options = {
    location: vscode.ProgressLocation.Notification,
    title: 'surefix: retraining the local model',
  };
  return vscode.window.withProgress(options, async (progress) => {
    const running = client();
    let done = 0;
    const listener = running?.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === 'end') {
        return;
      }
      const increment = value.percentage === undefined ? undefined : Math.max(0, value.percentage - done);
      done = value.percentage ?? done;
      progress.report({ message: value.message, increment });
    });
    try {
      return await execute<RetrainResult>(client, 'surefix.retrain', [], token);
    } finally {
      listener?.dispose();
    }
  });
}

/** The server writes the report and answers where; it opens here, in the editor area. */
async function showReport(client: ClientSource, panel: ReportPanel): Promise<void> {
  const report = await execute<ReportFile>(client, 'surefix.showReport');
  if (report !== null) {
    await panel.show(report);
  }
}

async function applyTrustedFixes(client: ClientSource): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.languageId !== 'python') {
    void vscode.window.showInformationMessage('surefix: open a Python file to apply its trusted fixes');
    return;
  }
  const result = await execute<{ applied: number; dropped?: number; reason?: string }>(
    client,
    'surefix.applyTrustedFixes',
    [editor.document.uri.toString()],
  );
  if (result === null) {
    return; // the server has already said what went wrong
  }
  if (result.applied === 0 && result.reason) {
    // the server's own words: which fixes it held back, and why
    void vscode.window.showInformationMessage(`surefix: ${result.reason}`);
    return;
  }
  const applied = result.applied === 1 ? '1 trusted fix' : `${result.applied} trusted fixes`;
  const why = result.reason ? ` (${result.reason})` : '';
  void vscode.window.showInformationMessage(`surefix: applied ${applied}${why}`);
}

/** The server rolls back one model, or goes straight to the bundled one; it says which model
 * it uses now (window/showMessage), so the extension adds no message of its own. */
async function resetModel(client: ClientSource): Promise<void> {
  const choices = [
    { label: 'Previous model', description: 'undo the last promoted retrain', args: [] as unknown[] },
    { label: 'Bundled model', description: 'forget every retrained model', args: [{ to: 'bundled' }] },
  ];
  const choice = await vscode.window.showQuickPick(choices, { title: 'surefix: reset the model to' });
  if (choice !== undefined) {
    await execute(client, 'surefix.resetModel', choice.args);
  }
}

/** The statistics open as a JSON document: they are nested, and the user may want to copy them. */
async function showData(client: ClientSource): Promise<void> {
  const stats = await execute<unknown>(client, 'surefix.dataStats');
  if (stats === null) {
    return;
  }
  const document = await vscode.workspace.openTextDocument({
    language: 'json',
    content: JSON.stringify(stats, null, 2) + '\n',
  });
  await vscode.window.showTextDocument(document, { preview: true });
}

async function exportData(client: ClientSource): Promise<void> {
  const format = await vscode.window.showQuickPick(['json', 'csv'], {
    title: 'surefix: export my data',
    placeHolder: 'Format of the exported outcomes',
  });
  if (format === undefined) {
    return;
  }
  // The server names the file in a message; opening it shows what "my data" means.
  const result = await execute<{ path: string }>(client, 'surefix.dataExport', [{ format }]);
  if (result !== null) {
    await vscode.window.showTextDocument(vscode.Uri.file(result.path), { preview: true });
  }
}

/** Purging cannot be undone, so it asks first, in a modal dialog. */
async function purgeData(client: ClientSource): Promise<void> {
  const confirm = 'Purge';
  const answer = await vscode.window.showWarningMessage(
    'Purge all local surefix data?',
    {
      modal: true,
      detail: 'Every recorded fix outcome is deleted from this machine. Your personal history stops shaping scores until new outcomes arrive. This cannot be undone.',
    },
    confirm,
  );
  if (answer !== confirm) {
    return;
  }
  await execute(client, 'surefix.dataPurge'); // the server says how many it deleted
}

interface Suggestion {
  id: string;
  title: string;
  setting: string;
  file: string;
  reason: string;
  diff: string;
  applicable: boolean;
  why_not?: string;
}

interface SuggestResult {
  suggestions: Suggestion[];
}

interface ApplyResult {
  applied?: boolean;
  recorded?: boolean;
  reason?: string;
}

/** The Ruff settings the user's record asks for, for the active file's rules: each one's diff
 * in an editor tab, then a modal question. Writing it is the server's `workspace/applyEdit`
 * (the same edit as the quick fix "Write Ruff configuration: …"), applied by VS Code. */
async function suggestConfig(client: ClientSource): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    throw new Error('open a Python file to see what your record suggests for it');
  }
  const uri = editor.document.uri.toString();
  const result = await execute<SuggestResult>(client, 'surefix.suggestConfig', [{ uri }]);
  const found = result?.suggestions ?? [];
  if (found.length === 0) {
    void vscode.window.showInformationMessage('surefix: your record with this file\'s rules suggests no Ruff configuration');
    return;
  }
  for (const suggestion of found) {
    const diff = await vscode.workspace.openTextDocument({ language: 'diff', content: suggestion.diff });
    await vscode.window.showTextDocument(diff, { preview: true, preserveFocus: true });
    if (!suggestion.applicable) {
      void vscode.window.showWarningMessage(`surefix: ${suggestion.title}: ${suggestion.why_not ?? 'cannot be written here'}`);
      continue;
    }
    const write = 'Write';
    const never = 'Never suggest this';
    const answer = await vscode.window.showInformationMessage(
      suggestion.title,
      { modal: true, detail: `Because ${suggestion.reason}. The change is shown in the diff tab.` },
      write,
      never,
    );
    if (answer === undefined) {
      continue;
    }
    const reply = await execute<ApplyResult>(client, 'surefix.suggestConfig', [
      { id: suggestion.id, answer: answer === write ? 'apply' : 'dismiss' },
    ]);
    if (answer === write && reply?.applied === false) {
      void vscode.window.showWarningMessage(`surefix: not written: ${reply.reason ?? 'the editor did not apply it'}`);
    }
  }
}
