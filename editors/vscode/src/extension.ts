// surefix for VS Code: a thin client that starts the surefix language server for Python
// files and Jupyter notebooks. Diagnostics, quick fixes with trust badges, hover and fix-all
// come from the server through vscode-languageclient; this file only starts and restarts it,
// reports a server that cannot start, tells the server it shows the report itself, and wires
// the palette commands and the status-bar item.
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, StaticFeature } from 'vscode-languageclient/node';
import { registerCommands, SHOW_REPORT } from './commands';
import { ReportPanel } from './report';
import { describe, ServerCommand, serverCommand } from './serverCommand';
import { currentSettings, forServer, SECTION } from './settings';
import { STATUS_NOTIFICATION, StatusItem } from './status';

let session: Session | undefined;
const RESTART_ON = [`${SECTION}.server`, `${SECTION}.format.enable`];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('surefix');
  const status = new StatusItem(SHOW_REPORT);
  const report = new ReportPanel();
  session = new Session(output, status);
  context.subscriptions.push(
    output,
    status,
    report,
    ...registerCommands(() => session?.client, () => session!.restart(), report),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // Settings reach the running server live; only how it is started, and whether it is a
      // formatter at all (its capabilities, fixed at initialize), need a new process.
      if (RESTART_ON.some((setting) => event.affectsConfiguration(setting))) {
        void session?.restart();
      }
    }),
  );
  await session.start();
}

export async function deactivate(): Promise<void> {
  await session?.stop();
}

class Session {
  client: LanguageClient | undefined;

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly status: StatusItem,
  ) {}

  async start(): Promise<void> {
    const server = serverCommand(vscode.workspace.getConfiguration(SECTION));
    const client = new LanguageClient('surefix', 'surefix', serverOptions(server), clientOptions(this.output));
    client.registerFeature(CLIENT_FEATURES);
    client.onNotification(STATUS_NOTIFICATION, (payload: unknown) => this.status.update(payload));
    this.client = client;
    this.status.starting();
    try {
      await client.start();
    } catch (error) {
      this.status.stopped('the language server could not be started');
      await reportStartFailure(server, error, this.output);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    try {
      await client?.dispose(5000);
    } catch (error) {
      this.output.appendLine(`stopping the server: ${String(error)}`);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

/** What this client does itself, in `capabilities.experimental.surefix`: it shows the model
 * report in a webview, so the server does not ask to open it in a browser (reportInEditor), and
 * it renders HTML in hover Markdown (`markdown.supportHtml` below), so the server may fold the
 * exact log-odds of a score into a `<details>` (hoverHtml). */
const CLIENT_FEATURES: StaticFeature = {
  fillClientCapabilities(capabilities) {
    const experimental = (capabilities.experimental ?? {}) as Record<string, unknown>;
    capabilities.experimental = { ...experimental, surefix: { reportInEditor: true, hoverHtml: true } };
  },
  initialize() {},
  getState: () => ({ kind: 'static' }),
  clear() {},
};

/** No `transport` key: stdio is the default, and `TransportKind.stdio` would add `--stdio`
 * to the command line. */
function serverOptions(server: ServerCommand): ServerOptions {
  return { command: server.command, args: server.args };
}

function clientOptions(output: vscode.OutputChannel): LanguageClientOptions {
  return {
    // The Python cells of Jupyter notebooks too: the server offers notebook sync, and the
    // language client sends their cells as notebooks (notebookDocument/*), not as files.
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
      { notebook: 'jupyter-notebook', language: 'python' },
    ],
    outputChannel: output,
    // Hover's details part is a <details> element: VS Code drops HTML from hover without this.
    markdown: { supportHtml: true },
    initializationOptions: currentSettings(),
    // Sends didChangeConfiguration on edits; the server then pulls the section afresh.
    synchronize: { configurationSection: SECTION },
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const answer = await next(params, token);
          if (!Array.isArray(answer)) {
            return answer;
          }
          return answer.map((value, i) => (params.items[i]?.section === SECTION ? forServer(value) : value));
        },
      },
    },
  };
}

/** Most start failures are "not installed" or "not on the PATH VS Code sees": say which
 * command was tried and which setting changes it. */
async function reportStartFailure(server: ServerCommand, error: unknown, output: vscode.OutputChannel): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  output.appendLine(`could not start "${describe(server)}": ${reason}`);
  const openSettings = 'Open Settings';
  const showOutput = 'Show Output';
  const choice = await vscode.window.showErrorMessage(
    `surefix: the language server could not be started with "${describe(server)}" (${reason}). ` +
      `Install it from a clone of surefix with "pipx install ." (or "pip install ." into a ` +
      `virtualenv), or set ${server.setting} ` +
      '(an absolute path, or surefix.server.python to an interpreter that has surefix).',
    openSettings,
    showOutput,
  );
  if (choice === openSettings) {
    await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server`);
  } else if (choice === showOutput) {
    output.show();
  }
}
