/**
 * End to end: the real `mellum-lsp serve` over stdio, driven by vscode-jsonrpc (the protocol
 * layer VS Code's language client is built on) with the capabilities VS Code sends, and the
 * extension's own modules doing their part (acceptance reports, chat streaming).
 *
 * The server command comes from MELLUM_TEST_SERVER, a JSON array (editors/test.sh sets it).
 */
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as rpc from 'vscode-jsonrpc/node';
import { AcceptanceTracker, completionId } from '../../src/acceptance';
import { ChatSession } from '../../src/chatSession';
import {
  type ChatDelta,
  type ChatResult,
  Methods,
  type NextEditResult,
  ServerCommands,
  type StatusResult,
  type TextEdit,
  withPartialResultToken,
} from '../../src/protocol';
import { serverSettings } from '../../src/settings';
import { applyTextEdits, offsetAt } from '../../src/textEdits';

// The cursor ends a comment: any text the model writes there survives the server's filters, so
// a tiny random checkpoint gives a suggestion too. Several notes, in case one ends in nothing.
const SOURCE = "import os\n\n\ndef home():\n    return os.environ['HOME']\n\n# ";
const NOTES = ['the home directory of', 'where the user keeps', 'paths are resolved', 'see also', 'todo'];
const SETTINGS = {
  'completion.debounce_ms': 0,
  'completion.max_new_tokens': 8,
  'chat.max_new_tokens': 24,
  'edit.max_new_tokens': 16,
};

interface InlineCompletionItem {
  insertText: string | { value: string };
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
  command?: { command: string; arguments?: unknown[] };
}

function serverCommand(): string[] {
  const raw = process.env.MELLUM_TEST_SERVER;
  if (!raw) {
    throw new Error('MELLUM_TEST_SERVER must hold the server command as a JSON array (editors/test.sh sets it)');
  }
  return JSON.parse(raw) as string[];
}

describe('mellum-lsp driven by vscode-jsonrpc', function () {
  this.timeout(300_000);
  let server: ChildProcess;
  let connection: rpc.MessageConnection;
  let root: string;
  const messages: string[] = [];

  async function open(name: string, text: string): Promise<string> {
    const file = join(root, name);
    writeFileSync(file, text);
    const fileUri = pathToFileURL(file).toString();
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: fileUri, languageId: 'python', version: 1, text },
    });
    return fileUri;
  }

  /** The model loads after `initialized`; completions before that are empty by design. */
  async function waitForModel(): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await connection.sendRequest<StatusResult>(Methods.status, {});
      if (status.loaded) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`the model did not load: ${status.problem}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'mellum-vscode-e2e-'));
    const [command, ...args] = serverCommand();
    server = spawn(command, args, {
      cwd: root,
      env: { ...process.env, XDG_CONFIG_HOME: join(root, '.config'), XDG_CACHE_HOME: join(root, '.cache') },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    connection = rpc.createMessageConnection(
      new rpc.StreamMessageReader(server.stdout!),
      new rpc.StreamMessageWriter(server.stdin!),
    );
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => ({})));
    connection.onNotification('window/showMessage', (p: { message: string }) => {
      messages.push(p.message);
    });
    connection.onNotification('window/logMessage', () => undefined);
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(root).toString(),
      workspaceFolders: [{ uri: pathToFileURL(root).toString(), name: 'e2e' }],
      capabilities: {
        general: { positionEncodings: ['utf-16'] },
        window: { workDoneProgress: true },
        workspace: { configuration: true, workspaceFolders: true },
        textDocument: {
          synchronization: { dynamicRegistration: false },
          inlineCompletion: { dynamicRegistration: true },
          codeAction: { resolveSupport: { properties: ['edit'] } },
        },
      },
      initializationOptions: serverSettings(SETTINGS),
    });
    await connection.sendNotification('initialized', {});
    await waitForModel();
  });

  after(async () => {
    const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
    const code = await exited;
    connection.dispose();
    assert.equal(code, 0, 'the server exits cleanly after shutdown/exit');
  });

  it('answers an inline completion at the cursor, and counts it shown and accepted', async () => {
    let item: InlineCompletionItem | undefined;
    let position = { line: 0, character: 0 };
    for (const [i, note] of NOTES.entries()) {
      const text = SOURCE + note;
      const docUri = await open(`notes_${i}.py`, text);
      const lines = text.split('\n');
      position = { line: lines.length - 1, character: lines[lines.length - 1].length };
      const result = await connection.sendRequest<{ items: InlineCompletionItem[] } | InlineCompletionItem[] | null>(
        'textDocument/inlineCompletion',
        { textDocument: { uri: docUri }, position, context: { triggerKind: 1 } },
      );
      const items = result === null ? [] : Array.isArray(result) ? result : result.items;
      const insert = items[0]?.insertText;
      if ((typeof insert === 'string' ? insert : insert?.value ?? '').trim() !== '') {
        item = items[0];
        break;
      }
    }
    assert.ok(item, `no suggestion at any note (server messages: ${messages.join(' | ')})`);
    assert.deepEqual(item.range?.start, position, 'inserted at the cursor');
    const id = completionId(item.command);
    assert.notEqual(id, undefined, 'the item carries an id for acceptance reports');

    const before = await connection.sendRequest<StatusResult>(Methods.status, {});
    const tracker = new AcceptanceTracker((method, params) => void connection.sendNotification(method, params));
    tracker.shown(id);
    tracker.accepted(id!);
    const after = await connection.sendRequest<StatusResult>(Methods.status, {});
    assert.equal(after.acceptance.shown, before.acceptance.shown + 1);
    assert.equal(after.acceptance.accepted, before.acceptance.accepted + 1);
  });

  it('streams a chat answer as $/progress deltas before the final content', async () => {
    const chat = new ChatSession();
    const token = 'vscode-e2e-chat';
    let deltas = 0;
    const subscription = connection.onProgress(new rpc.ProgressType<ChatDelta>(), token, (value) => {
      deltas += 1;
      chat.append(value.delta);
    });
    const uri = await open('chat.py', SOURCE + 'todo');
    const messagesSent = chat.ask('What does home return?');
    const result = await connection.sendRequest<ChatResult>(Methods.chat, {
      messages: messagesSent,
      textDocument: { uri },
      partialResultToken: token,
    });
    subscription.dispose();
    assert.ok(deltas >= 2, `expected at least two partial results, got ${deltas}`);
    const streamed = chat.transcript[1].content;
    chat.finish(result.content);
    assert.ok(result.content.length > 0, 'a non-empty answer');
    assert.ok(result.content.startsWith(streamed) || streamed.startsWith(result.content), 'the stream matches the answer');
    assert.equal(chat.transcript[1].content, result.content);
  });

  it('streams an explanation of a diagnostic through the Explain code action', async () => {
    const text = SOURCE + 'see also';
    const docUri = await open('explain.py', text);
    const diagnostic = {
      range: { start: { line: 4, character: 11 }, end: { line: 4, character: 13 } },
      message: "undefined name 'os'",
      severity: 1,
      source: 'pyflakes',
    };
    const actions = await connection.sendRequest<{ title: string; command?: { command: string; arguments?: unknown[] } }[]>(
      'textDocument/codeAction',
      { textDocument: { uri: docUri }, range: diagnostic.range, context: { diagnostics: [diagnostic] } },
    );
    const explain = actions.find((a) => a.command?.command === ServerCommands.explainDiagnostic);
    assert.ok(explain?.command, `an Explain action among ${actions.map((a) => a.title).join(', ')}`);
    const token = 'vscode-e2e-explain';
    const deltas: string[] = [];
    const subscription = connection.onProgress(new rpc.ProgressType<ChatDelta>(), token, (value) => {
      deltas.push(value.delta);
    });
    const result = await connection.sendRequest<ChatResult>('workspace/executeCommand', {
      command: explain.command.command,
      arguments: withPartialResultToken(explain.command.arguments ?? [], token),
    });
    subscription.dispose();
    assert.ok(deltas.length >= 2, `expected at least two partial results, got ${deltas.length}`);
    assert.ok(result.content.length > 0, 'a non-empty explanation');
  });

  it('answers mellum/nextEdit with edits that turn the region into the predicted text', async () => {
    const text = SOURCE + 'todo\n';
    const docUri = await open('next.py', text);
    const result = await connection.sendRequest<NextEditResult>(Methods.nextEdit, {
      textDocument: { uri: docUri },
      position: { line: 4, character: 4 },
    });
    assert.ok(Array.isArray(result.edits));
    if (result.edits.length === 0) {
      return; // nothing predicted: a valid answer
    }
    assert.ok(result.range && typeof result.text === 'string', 'edits come with the region and its new text');
    const whole: TextEdit = { range: result.range, newText: result.text };
    assert.equal(applyTextEdits(text, result.edits), applyTextEdits(text, [whole]));
    assert.ok(offsetAt(text, result.range.start) <= offsetAt(text, { line: 4, character: 4 }));
  });
});
