// How the language server is started, read from the `surefix.server.*` settings.
import type { WorkspaceConfiguration } from 'vscode';

/** The module behind the `surefix` console script (pyproject's [project.scripts]). */
export const CLI_MODULE = 'surefix.server.cli';
export const DEFAULT_COMMAND = ['surefix', 'serve'];

export interface ServerCommand {
  command: string;
  args: string[];
  /** The setting the argv came from, named in error messages so the user knows what to fix. */
  setting: 'surefix.server.python' | 'surefix.server.command';
}

/** An interpreter setting wins over the argv setting: it is the one a user sets on purpose
 * when `surefix` is installed in a virtualenv that VS Code's PATH does not contain. */
export function serverCommand(config: WorkspaceConfiguration): ServerCommand {
  const python = (config.get<string>('server.python') ?? '').trim();
  if (python) {
    return { command: python, args: ['-m', CLI_MODULE, 'serve'], setting: 'surefix.server.python' };
  }
  const argv = (config.get<string[]>('server.command') ?? []).filter((part) => part !== '');
  const [command, ...args] = argv.length > 0 ? argv : DEFAULT_COMMAND;
  return { command, args, setting: 'surefix.server.command' };
}

export function describe(server: ServerCommand): string {
  return [server.command, ...server.args].map((part) => (/\s/.test(part) ? `"${part}"` : part)).join(' ');
}
