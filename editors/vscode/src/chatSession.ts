/**
 * One chat conversation: the messages sent to `mellum/chat` and the answer being streamed.
 *
 * Streamed deltas are shown as they come; the final `{content}` replaces them, since the
 * server's whole answer is authoritative (a delta lost or reordered must not corrupt it).
 */
import type { ChatMessage } from './protocol';

export interface Turn {
  role: ChatMessage['role'];
  content: string;
  streaming: boolean;
  error?: string;
}

export class ChatSession {
  private readonly turns: Turn[] = [];

  get transcript(): readonly Turn[] {
    return this.turns;
  }

  get busy(): boolean {
    return this.turns.some((t) => t.streaming);
  }

  /** Adds the question and an empty answer; returns the messages to send (finished turns only). */
  ask(question: string): ChatMessage[] {
    if (this.busy) {
      throw new Error('an answer is still streaming');
    }
    const text = question.trim();
    if (text === '') {
      throw new Error('the question is empty');
    }
    this.turns.push({ role: 'user', content: text, streaming: false });
    const messages = this.turns
      .filter((t, i) => t.error === undefined && this.turns[i + 1]?.error === undefined)
      .map((t) => ({ role: t.role, content: t.content }));
    this.turns.push({ role: 'assistant', content: '', streaming: true });
    return messages;
  }

  append(delta: string): Turn {
    const turn = this.current();
    turn.content += delta;
    return turn;
  }

  finish(content: string): Turn {
    const turn = this.current();
    turn.content = content;
    turn.streaming = false;
    return turn;
  }

  /** The answer failed or was cancelled: keep what arrived, mark it, and leave it and its question out of later prompts. */
  fail(message: string): Turn {
    const turn = this.current();
    turn.streaming = false;
    turn.error = message;
    return turn;
  }

  clear(): void {
    if (this.busy) {
      throw new Error('an answer is still streaming');
    }
    this.turns.length = 0;
  }

  private current(): Turn {
    const turn = this.turns[this.turns.length - 1];
    if (turn === undefined || !turn.streaming) {
      throw new Error('no answer is streaming');
    }
    return turn;
  }
}
