/** What the status-bar item says for a `mellum/status` answer: short text, longer tooltip. */
import type { StatusResult } from './protocol';

export interface StatusView {
  text: string;
  tooltip: string;
}

function ms(value: number | null): string {
  return value === null ? '–' : `${Math.round(value)} ms`;
}

export function describeStatus(status: StatusResult): StatusView {
  const { indexing, acceptance, latency_ms: latency, queue } = status;
  const indexingBusy = indexing.total > 0 && indexing.done < indexing.total;
  let text: string;
  if (!status.loaded) {
    text = status.problem ? '$(warning) Mellum' : '$(loading~spin) Mellum';
  } else if (indexingBusy) {
    text = `$(sync~spin) Mellum ${indexing.done}/${indexing.total}`;
  } else {
    text = `$(sparkle) Mellum ${ms(latency.p50)}`;
  }
  const rate = acceptance.rate === null ? '–' : `${Math.round(acceptance.rate * 100)}%`;
  const tooltip = [
    `Model: ${status.model} on ${status.device} (${status.backend})${status.loaded ? '' : status.problem ? ` — ${status.problem}` : ' — loading'}`,
    `Indexed: ${indexing.done} of ${indexing.total} files`,
    `Queue: ${queue.running.length} running, ${queue.pending.length} waiting`,
    `Completions: ${acceptance.shown} shown, ${acceptance.accepted} accepted, ${acceptance.rejected} rejected (${rate})`,
    `Latency: p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)}`,
  ].join('\n');
  return { text, tooltip };
}

export function describeFailure(error: unknown): StatusView {
  const message = error instanceof Error ? error.message : String(error);
  return { text: '$(warning) Mellum', tooltip: `The server did not answer mellum/status: ${message}` };
}
