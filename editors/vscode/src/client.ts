/**
 * Starting `mellum-lsp serve` and wiring the standard LSP features.
 *
 * Inline completion, code actions (rewrite, explain/fix diagnostics) and document sync come
 * from vscode-languageclient unchanged; the middleware only tags inline completion items so
 * acceptance is reported, asks for a rewrite's instruction before it is resolved, sends
 * explanations (a streamed command) to the chat view, and answers `workspace/configuration` with
 * the user's own settings.
 */
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { AcceptanceTracker, completionId } from './acceptance';
import { ServerCommands } from './protocol';
import { serverLaunch, serverSettings } from './settings';

export const ACCEPTED_COMMAND = 'mellum.completionAccepted';

/** Dotted keys (without `mellum.`) of every setting this extension declares. */
function declaredKeys(extension: vscode.Extension<unknown>): string[] {
  const json = extension.packageJSON as { contributes: { configuration: { properties: Record<string, unknown> } } };
  return Object.keys(json.contributes.configuration.properties).map((key) => key.slice('mellum.'.length));
}

/** The settings the user (or workspace) set explicitly, nested as the server reads them. */
export function userServerSettings(extension: vscode.Extension<unknown>): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration('mellum');
  const explicit: Record<string, unknown> = {};
  for (const key of declaredKeys(extension)) {
    const info = config.inspect(key);
    explicit[key] = info?.workspaceFolderValue ?? info?.workspaceValue ?? info?.globalValue;
  }
  return serverSettings(explicit);
}

export function createClient(
  extension: vscode.Extension<unknown>,
  output: vscode.LogOutputChannel,
  tracker: AcceptanceTracker,
  explain: (command: string, args: unknown[]) => Promise<void>,
): LanguageClient {
  const config = vscode.workspace.getConfiguration('mellum.server');
  const launch = serverLaunch(config.get('command'), config.get('args'), config.get('env'));
  const executable = { command: launch.command, args: launch.args, options: { env: { ...process.env, ...launch.env } } };
  const serverOptions: ServerOptions = { run: executable, debug: executable };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    outputChannel: output,
    traceOutputChannel: output,
    initializationOptions: userServerSettings(extension),
    middleware: {
      provideInlineCompletionItems: async (document, position, context, token, next) => {
        const result = await next(document, position, context, token);
        const items = Array.isArray(result) ? result : (result?.items ?? []);
        for (const item of items) {
          const id = completionId(item.command);
          if (id !== undefined) {
            item.command = { title: 'Accept', command: ACCEPTED_COMMAND, arguments: [id] };
          }
        }
        tracker.shown(completionId(items[0]?.command));
        return result;
      },
      resolveCodeAction: async (item, token, next) => {
        // "Rewrite with Mellum" resolves lazily; its instruction is `data.instruction`, asked for here.
        const data = (item as { data?: { action?: string; instruction?: string | null } }).data;
        if (data?.action === 'rewrite' && !data.instruction) {
          const instruction = await vscode.window.showInputBox({
            title: 'Rewrite with Mellum',
            prompt: 'How should the selection change? (empty: make it clearer and fix bugs)',
          });
          if (instruction === undefined) {
            return item;
          }
          data.instruction = instruction.trim() || null;
        }
        return next(item, token);
      },
      executeCommand: (command, args, next) =>
        command === ServerCommands.explainDiagnostic ? explain(command, args) : next(command, args),
      workspace: {
        configuration: (params, token, next) => {
          if (params.items.every((item) => item.section === 'mellum')) {
            return params.items.map(() => userServerSettings(extension));
          }
          return next(params, token);
        },
      },
    },
  };
  return new LanguageClient('mellum', 'Mellum', serverOptions, clientOptions);
}

/** Sends the user's settings again after they change (the server re-validates and keeps good keys). */
export function pushSettings(client: LanguageClient, extension: vscode.Extension<unknown>): Promise<void> {
  return client.sendNotification(DidChangeConfigurationNotification.type, {
    settings: { mellum: userServerSettings(extension) },
  });
}
