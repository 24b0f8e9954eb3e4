/**
 * Shown / accepted / rejected bookkeeping for inline completions.
 *
 * The server keeps the acceptance figures (`mellum/status`); the client only reports what the
 * user saw. VS Code's stable API says when a suggestion is accepted (its command runs) but not
 * when one is shown or dismissed, so: the first item of an answer counts as shown, and a shown
 * item that is neither accepted nor shown again by the next answer counts as rejected.
 */
import { Methods } from './protocol';

export type CompletionId = string | number;
export type Notify = (method: string, params: { id: CompletionId }) => void;

export class AcceptanceTracker {
  private pending: CompletionId | undefined;

  constructor(private readonly notify: Notify) {}

  /** An answer arrived; `id` is its first item's id (undefined: nothing is shown). */
  shown(id: CompletionId | undefined): void {
    if (id !== undefined && id === this.pending) {
      return;
    }
    this.rejectPending();
    if (id !== undefined) {
      this.pending = id;
      this.notify(Methods.didShowCompletion, { id });
    }
  }

  accepted(id: CompletionId): void {
    if (id !== this.pending) {
      this.rejectPending();
    }
    this.pending = undefined;
    this.notify(Methods.didAcceptCompletion, { id });
  }

  /** The suggestion went away without being accepted (editor switched, extension stopping). */
  rejectPending(): void {
    if (this.pending !== undefined) {
      const id = this.pending;
      this.pending = undefined;
      this.notify(Methods.didRejectCompletion, { id });
    }
  }
}

/** The id the server attached to an inline completion item: its command's first argument. */
export function completionId(command: { arguments?: unknown[] } | undefined): CompletionId | undefined {
  const id = command?.arguments?.[0];
  if (typeof id === 'string' || typeof id === 'number') {
    return id;
  }
  if (id && typeof id === 'object' && 'id' in id) {
    const inner = (id as { id: unknown }).id;
    if (typeof inner === 'string' || typeof inner === 'number') {
      return inner;
    }
  }
  return undefined;
}
