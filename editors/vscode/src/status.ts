// The status-bar item: which trust model scores the fixes, and whether outcomes are recorded.
//
// The server announces both with the `surefix/status` notification whenever they change;
// until one arrives (or with a server that never sends it) the item just says "surefix".
import * as vscode from 'vscode';

export const STATUS_NOTIFICATION = 'surefix/status';

export interface ServerStatus {
  model: string;
  collecting: boolean;
}

/** The notification's payload, checked: it comes from another process. */
export function parseStatus(value: unknown): ServerStatus | undefined {
  if (value === null || typeof value !== 'object') {
    return undefined;
  }
  const { model, collecting } = value as Record<string, unknown>;
  if (typeof model !== 'string' || typeof collecting !== 'boolean') {
    return undefined;
  }
  return { model, collecting };
}

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(clickCommand: string) {
    this.item = vscode.window.createStatusBarItem('surefix.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'surefix';
    this.item.command = clickCommand;
    this.starting();
    this.item.show();
  }

  starting(): void {
    this.show('$(shield) surefix', 'surefix: starting the language server');
  }

  update(payload: unknown): void {
    const status = parseStatus(payload);
    if (status === undefined) {
      return;
    }
    const data = status.collecting ? 'data on' : 'data off';
    const collecting = status.collecting
      ? 'your fix outcomes are recorded locally (never code, never sent)'
      : 'outcome collection is off';
    this.show(
      `$(shield) surefix ${status.model} · ${data}`,
      `surefix model ${status.model}; ${collecting}. Click for the model report.`,
    );
  }

  stopped(reason: string): void {
    this.show('$(warning) surefix', `surefix: ${reason}`);
  }

  dispose(): void {
    this.item.dispose();
  }

  private show(text: string, tooltip: string): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
  }
}
