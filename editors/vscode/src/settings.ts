// The `surefix` settings as the server reads them.
//
// The server validates its section key by key and warns about unknown keys, so the
// client-only `surefix.server.*` group (how to start the server) is taken out before the
// section is sent, whether as initializationOptions or as a workspace/configuration answer.
import * as vscode from 'vscode';

export const SECTION = 'surefix';
const CLIENT_ONLY = ['server'];

/** A plain JSON copy of a configuration value without the client-only keys. */
export function forServer(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return value;
  }
  const plain = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  for (const key of CLIENT_ONLY) {
    delete plain[key];
  }
  return plain;
}

export function currentSettings(): unknown {
  return forServer(vscode.workspace.getConfiguration(SECTION));
}
