// The model report, inside the editor. The server writes `report.html` into its data directory
// and answers `surefix.showReport` with {path, uri}; the client said (the reportInEditor
// capability, see extension.ts) that it shows the report itself, so the server asks for no
// external browser. The page is static — markup, inline SVG and one <style>, no script — and is
// shown with scripts off, no local resources, and a policy that allows inline styles only.
import * as vscode from 'vscode';

export const REPORT_VIEW = 'surefix.report';
export const REPORT_TITLE = 'surefix model report';
const POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:;";

/** What `surefix.showReport` answers. */
export interface ReportFile {
  path: string;
  uri: string;
}

/** The page's own <title> (in its head: the reliability diagram has <title>s too). */
export function titleOf(html: string): string {
  const head = html.split(/<\/head>/i)[0];
  const found = /<title>([^<]*)<\/title>/i.exec(head);
  return found?.[1].trim() || REPORT_TITLE;
}

/** The page with the content security policy first in its head. */
export function withPolicy(html: string): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${POLICY}">`;
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => head + meta) : meta + html;
}

/** One panel: showing the report again refreshes and reveals it. */
export class ReportPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  async show(report: ReportFile): Promise<void> {
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.file(report.path));
    const html = new TextDecoder('utf-8').decode(bytes);
    const panel = this.panel ?? this.create();
    panel.title = titleOf(html);
    panel.webview.html = withPolicy(html);
    panel.reveal();
  }

  dispose(): void {
    this.panel?.dispose();
  }

  private create(): vscode.WebviewPanel {
    const panel = vscode.window.createWebviewPanel(
      REPORT_VIEW,
      REPORT_TITLE,
      vscode.ViewColumn.Active,
      { enableScripts: false, localResourceRoots: [], enableFindWidget: true },
    );
    panel.onDidDispose(() => {
      this.panel = undefined;
    });
    this.panel = panel;
    return panel;
  }
}
