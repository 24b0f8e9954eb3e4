/**
 * Next edit: asks `mellum/nextEdit` for an edit near the cursor and shows it as a diff between
 * the document and the document with the edit applied; the user accepts or rejects it.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Methods, type NextEditParams, type NextEditResult } from './protocol';
import { applyTextEdits } from './textEdits';

const SCHEME = 'mellum-proposal';
const PENDING_KEY = 'mellum.nextEditPending';

interface Proposal {
  document: vscode.TextDocument;
  version: number;
  result: NextEditResult;
  text: string;
}

export class NextEditController implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private proposal: Proposal | undefined;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(SCHEME, this);

  constructor(private readonly client: () => LanguageClient | undefined) {}

  provideTextDocumentContent(): string {
    return this.proposal?.text ?? '';
  }

  async suggest(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = this.client();
    if (editor === undefined || client === undefined || !client.isRunning()) {
      return;
    }
    const { document } = editor;
    const params: NextEditParams = {
      textDocument: { uri: document.uri.toString() },
      position: { line: editor.selection.active.line, character: editor.selection.active.character },
    };
    const version = document.version;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Mellum: predicting the next edit' },
      () => client.sendRequest<NextEditResult>(Methods.nextEdit, params),
    );
    if (!result?.edits?.length) {
      void vscode.window.setStatusBarMessage('Mellum: no edit to suggest here', 3000);
      return;
    }
    if (document.version !== version) {
      return; // the user kept typing; this prediction is stale
    }
    this.proposal = { document, version, result, text: applyTextEdits(document.getText(), result.edits) };
    const proposed = vscode.Uri.from({ scheme: SCHEME, path: document.uri.path, query: String(version) });
    this.changed.fire(proposed);
    await vscode.commands.executeCommand('setContext', PENDING_KEY, true);
    await vscode.commands.executeCommand('vscode.diff', document.uri, proposed, 'Mellum: current ↔ suggested edit', {
      preview: true,
      preserveFocus: true,
    });
    const choice = await vscode.window.showInformationMessage('Mellum suggests an edit.', 'Accept', 'Reject');
    if (choice === 'Accept') {
      await this.accept();
    } else if (choice === 'Reject') {
      await this.reject();
    }
  }

  async accept(): Promise<void> {
    const proposal = this.proposal;
    const client = this.client();
    await this.reject();
    if (proposal === undefined || client === undefined) {
      return;
    }
    if (proposal.document.version !== proposal.version) {
      void vscode.window.showWarningMessage('Mellum: the document changed since the edit was suggested; not applied.');
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.set(proposal.document.uri, await client.protocol2CodeConverter.asTextEdits(proposal.result.edits));
    await vscode.workspace.applyEdit(edit);
  }

  async reject(): Promise<void> {
    this.proposal = undefined;
    await vscode.commands.executeCommand('setContext', PENDING_KEY, false);
    const tabs = vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .filter((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.scheme === SCHEME);
    await vscode.window.tabGroups.close(tabs);
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
