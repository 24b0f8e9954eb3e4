/**
 * Mellum for VS Code: starts `mellum-lsp serve`, and adds what plain LSP does not show by
 * itself: the chat view, next-edit diffs, explain/fix commands and the status-bar item.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { AcceptanceTracker, type CompletionId } from './acceptance';
import { ACCEPTED_COMMAND, createClient, pushSettings } from './client';
import { ChatViewProvider } from './chatView';
import { NextEditController } from './nextEdit';
import { runProblemAction } from './problems';
import { StatusBar } from './statusBar';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Mellum', { log: true });
  const getClient = () => client;
  const tracker = new AcceptanceTracker((method, params) => void client?.sendNotification(method, params));
  const chat = new ChatViewProvider(getClient);
  const nextEdit = new NextEditController(getClient);
  const status = new StatusBar(getClient);

  const start = async () => {
    try {
      client = createClient(context.extension, output, tracker, (command, args) =>
        chat.runStreamingCommand(explainTitle(args), command, args),
      );
      await client.start();
    } catch (error) {
      output.error(String(error));
      void vscode.window.showErrorMessage(`Mellum: the server did not start: ${(error as Error).message}`, 'Show Log').then(
        (choice) => choice && output.show(),
      );
    }
    await status.refresh();
  };

  context.subscriptions.push(
    output,
    nextEdit,
    status,
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat),
    vscode.commands.registerCommand(ACCEPTED_COMMAND, (id: CompletionId) => tracker.accepted(id)),
    vscode.commands.registerCommand('mellum.openChat', () => vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`)),
    vscode.commands.registerCommand('mellum.askAboutSelection', async () => {
      const question = await vscode.window.showInputBox({ prompt: 'Ask Mellum about the selection' });
      if (question) {
        await chat.ask(question);
      }
    }),
    vscode.commands.registerCommand('mellum.suggestNextEdit', () => nextEdit.suggest()),
    vscode.commands.registerCommand('mellum.acceptNextEdit', () => nextEdit.accept()),
    vscode.commands.registerCommand('mellum.rejectNextEdit', () => nextEdit.reject()),
    vscode.commands.registerCommand('mellum.explainProblem', () =>
      client ? runProblemAction(client, 'explain', (title, command, args) => chat.runStreamingCommand(title, command, args)) : undefined,
    ),
    vscode.commands.registerCommand('mellum.fixProblem', () =>
      client ? runProblemAction(client, 'fix', (title, command, args) => chat.runStreamingCommand(title, command, args)) : undefined,
    ),
    vscode.commands.registerCommand('mellum.showStatus', async () => {
      const result = await status.refresh();
      output.info(`mellum/status ${JSON.stringify(result)}`);
      output.show(true);
    }),
    vscode.commands.registerCommand('mellum.showLog', () => output.show()),
    vscode.commands.registerCommand('mellum.restartServer', async () => {
      tracker.rejectPending();
      await client?.dispose();
      await start();
    }),
    vscode.window.onDidChangeActiveTextEditor(() => tracker.rejectPending()),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('mellum.server')) {
        const choice = await vscode.window.showInformationMessage('Mellum: restart the server to use the new command?', 'Restart');
        if (choice) {
          await vscode.commands.executeCommand('mellum.restartServer');
        }
      } else if (event.affectsConfiguration('mellum') && client?.isRunning()) {
        await pushSettings(client, context.extension);
      }
    }),
  );
  await start();
}

/** "Explain: <message>" from `mellum.explainDiagnostic {uri, diagnostic}`. */
function explainTitle(args: unknown[]): string {
  const message = (args[0] as { diagnostic?: { message?: unknown } } | undefined)?.diagnostic?.message;
  return typeof message === 'string' ? `Explain: ${message}` : 'Explain the problem';
}

export async function deactivate(): Promise<void> {
  await client?.dispose();
  client = undefined;
}
