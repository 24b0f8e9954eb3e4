/**
 * The `mellum/…` methods of the server (issue 6), as plain types.
 *
 * Kept free of `vscode` imports so the unit tests and the end-to-end test (which drives the
 * server with vscode-jsonrpc alone) share the exact shapes the extension sends.
 */

export const Methods = {
  chat: 'mellum/chat',
  nextEdit: 'mellum/nextEdit',
  status: 'mellum/status',
  context: 'mellum/context',
  didShowCompletion: 'mellum/didShowCompletion',
  didAcceptCompletion: 'mellum/didAcceptCompletion',
  didRejectCompletion: 'mellum/didRejectCompletion',
} as const;

/** Commands the server lists in `executeCommandProvider`; the client must not register these names. */
export const ServerCommands = {
  chat: 'mellum.chat',
  explainDiagnostic: 'mellum.explainDiagnostic',
  fixDiagnostic: 'mellum.fixDiagnostic',
  nextEdit: 'mellum.nextEdit',
  rewrite: 'mellum.rewrite',
} as const;

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatParams {
  messages: ChatMessage[];
  textDocument?: { uri: string };
  range?: Range;
  partialResultToken?: string | number;
}

/** The value of each `$/progress` notification sent for a chat's `partialResultToken`. */
export interface ChatDelta {
  delta: string;
}

export interface ChatResult {
  content: string;
}

export interface NextEditParams {
  textDocument: { uri: string };
  position: Position;
}

/** `edits` is empty when the model has nothing to suggest; `range`/`text` describe the region rewritten. */
export interface NextEditResult {
  edits: TextEdit[];
  range?: Range;
  text?: string;
}

export interface CompletionFeedback {
  id: string | number;
}

export interface StatusResult {
  model: string;
  /** False while the model loads or when it could not be loaded (`problem` says why). */
  loaded: boolean;
  problem: string | null;
  device: string;
  backend: string;
  indexing: { done: number; total: number; ready?: boolean };
  queue: { pending: string[]; running: string[] };
  acceptance: { shown: number; accepted: number; rejected: number; rate: number | null };
  latency_ms: { p50: number | null; p95: number | null; recent: number[] };
}

/**
 * Streamed commands (`mellum.explainDiagnostic {uri, diagnostic}`) take the partial result token
 * inside their first argument object, since `workspace/executeCommand` has no field for it.
 */
export function withPartialResultToken(args: readonly unknown[], token: string): unknown[] {
  const [first, ...rest] = args;
  const base = typeof first === 'object' && first !== null ? first : {};
  return [{ ...base, partialResultToken: token }, ...rest];
}
