/**
 * "Explain/Fix problem at cursor": finds the diagnostic under the cursor (from any language
 * server), asks the Mellum server for its code actions, and runs the matching one. The same
 * actions also appear in VS Code's light bulb without this file; these commands add key bindings
 * and send explanations to the chat view.
 */
import * as vscode from 'vscode';
import { type CodeAction, type Command, CodeActionRequest, CodeActionResolveRequest, type LanguageClient } from 'vscode-languageclient/node';
import { ServerCommands } from './protocol';

export type ProblemAction = 'explain' | 'fix';

async function diagnosticAtCursor(editor: vscode.TextEditor): Promise<vscode.Diagnostic | undefined> {
  const cursor = editor.selection.active;
  const here = vscode.languages
    .getDiagnostics(editor.document.uri)
    .filter((d) => d.range.contains(cursor) || d.range.start.line === cursor.line);
  if (here.length <= 1) {
    return here[0];
  }
  const picked = await vscode.window.showQuickPick(
    here.map((diagnostic) => ({ label: diagnostic.message, description: diagnostic.source, diagnostic })),
    { placeHolder: 'Which problem?' },
  );
  return picked?.diagnostic;
}

function isCodeAction(action: Command | CodeAction): action is CodeAction {
  return typeof (action as CodeAction).kind === 'string' || (action as CodeAction).edit !== undefined || typeof action.command === 'object';
}

function commandOf(action: Command | CodeAction): Command | undefined {
  return isCodeAction(action) ? action.command : action;
}

/** The server's action for `kind`: by its command name, else by the title the server gives it. */
function pick(actions: (Command | CodeAction)[], kind: ProblemAction): Command | CodeAction | undefined {
  const command = kind === 'explain' ? ServerCommands.explainDiagnostic : ServerCommands.fixDiagnostic;
  const title = kind === 'explain' ? /explain/i : /fix/i;
  return actions.find((a) => commandOf(a)?.command === command) ?? actions.find((a) => title.test(a.title));
}

export async function runProblemAction(
  client: LanguageClient,
  kind: ProblemAction,
  explain: (title: string, command: string, args: unknown[]) => Promise<void>,
): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    return;
  }
  const diagnostic = await diagnosticAtCursor(editor);
  if (diagnostic === undefined) {
    void vscode.window.showInformationMessage('Mellum: no problem reported at the cursor.');
    return;
  }
  const c2p = client.code2ProtocolConverter;
  const actions =
    (await client.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: c2p.asUri(editor.document.uri) },
      range: c2p.asRange(diagnostic.range),
      context: { diagnostics: [c2p.asDiagnostic(diagnostic)], triggerKind: 1 },
    })) ?? [];
  let action = pick(actions, kind);
  if (action === undefined) {
    void vscode.window.showInformationMessage(`Mellum: the server offers no ${kind} for this problem.`);
    return;
  }
  if (isCodeAction(action) && action.edit === undefined && action.command === undefined) {
    action = await client.sendRequest(CodeActionResolveRequest.type, action);
  }
  if (isCodeAction(action) && action.edit !== undefined) {
    await vscode.workspace.applyEdit(await client.protocol2CodeConverter.asWorkspaceEdit(action.edit));
  }
  const command = commandOf(action);
  if (command === undefined) {
    return;
  }
  if (command.command === ServerCommands.explainDiagnostic) {
    await explain(`Explain: ${diagnostic.message}`, command.command, command.arguments ?? []);
  } else {
    await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
  }
}
