/**
 * The chat side bar: a webview fed by `mellum/chat`, whose answer streams as `$/progress`
 * notifications (`{delta}`) for a `partialResultToken` the view picks for each question.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { type LanguageClient, ProgressType } from 'vscode-languageclient/node';
import { chatHtml } from './chatHtml';
import { ChatSession } from './chatSession';
import { type ChatDelta, type ChatMessage, type ChatParams, type ChatResult, Methods, withPartialResultToken } from './protocol';

const chatProgress = new ProgressType<ChatDelta>();

interface ViewMessage {
  type: 'ready' | 'ask' | 'stop' | 'clear';
  text?: string;
}

export class ChatViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'mellum.chat';
  private view: vscode.WebviewView | undefined;
  private session = new ChatSession();
  private cancel: vscode.CancellationTokenSource | undefined;

  constructor(private readonly client: () => LanguageClient | undefined) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true };
    view.webview.html = chatHtml(randomUUID().replace(/-/g, ''), view.webview.cspSource);
    view.webview.onDidReceiveMessage((message: ViewMessage) => this.onMessage(message));
  }

  /** Asks a question about the active editor (its selection, if any) and streams the answer. */
  ask(question: string): Promise<void> {
    return this.stream(question, (client, messages, token, cancel) => {
      const params: ChatParams = { messages, partialResultToken: token, ...editorContext() };
      return client.sendRequest<ChatResult>(Methods.chat, params, cancel);
    });
  }

  /**
   * Runs a server command whose answer streams like chat (`mellum.explainDiagnostic {uri,
   * diagnostic}`): the token goes into its argument object as `partialResultToken`.
   */
  runStreamingCommand(title: string, command: string, args: unknown[]): Promise<void> {
    return this.stream(title, (client, _messages, token, cancel) =>
      client.sendRequest<ChatResult | null>(
        'workspace/executeCommand',
        { command, arguments: withPartialResultToken(args, token) },
        cancel,
      ),
    );
  }

  private async stream(
    question: string,
    send: (
      client: LanguageClient,
      messages: ChatMessage[],
      token: string,
      cancel: vscode.CancellationToken,
    ) => Promise<ChatResult | null>,
  ): Promise<void> {
    const client = this.client();
    if (client === undefined || !client.isRunning()) {
      void vscode.window.showErrorMessage('Mellum: the server is not running (see "Mellum: Show Server Log").');
      return;
    }
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
    let messages: ChatMessage[];
    try {
      messages = this.session.ask(question);
    } catch (error) {
      void vscode.window.showWarningMessage(`Mellum: ${(error as Error).message}`);
      return;
    }
    this.render();
    const token = `mellum-chat-${randomUUID()}`;
    const cancel = new vscode.CancellationTokenSource();
    this.cancel = cancel;
    const progress = client.onProgress(chatProgress, token, (value) => {
      if (typeof value?.delta === 'string') {
        this.session.append(value.delta);
        this.render();
      }
    });
    try {
      const result = await send(client, messages, token, cancel.token);
      const content = result?.content;
      this.session.finish(content ?? this.session.transcript[this.session.transcript.length - 1].content);
    } catch (error) {
      this.session.fail(cancel.token.isCancellationRequested ? 'stopped' : (error as Error).message);
    } finally {
      progress.dispose();
      cancel.dispose();
      this.cancel = undefined;
      this.render();
    }
  }

  private onMessage(message: ViewMessage): void {
    switch (message.type) {
      case 'ready':
        this.render();
        break;
      case 'ask':
        void this.ask(message.text ?? '');
        break;
      case 'stop':
        this.cancel?.cancel();
        break;
      case 'clear':
        if (!this.session.busy) {
          this.session = new ChatSession();
          this.render();
        }
        break;
    }
  }

  private render(): void {
    void this.view?.webview.postMessage({ type: 'turns', turns: this.session.transcript });
  }
}

function editorContext(): Pick<ChatParams, 'textDocument' | 'range'> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    return {};
  }
  const { selection } = editor;
  return {
    textDocument: { uri: editor.document.uri.toString() },
    range: selection.isEmpty
      ? undefined
      : {
          start: { line: selection.start.line, character: selection.start.character },
          end: { line: selection.end.line, character: selection.end.character },
        },
  };
}
