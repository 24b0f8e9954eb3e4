import * as assert from 'node:assert/strict';
import type { StatusResult } from '../../src/protocol';
import { describeFailure, describeStatus } from '../../src/status';

const status: StatusResult = {
  model: 'mellum-tiny',
  device: 'cpu',
  backend: 'torch',
  indexing: { done: 10, total: 10 },
  queue: 0,
  acceptance: { shown: 4, accepted: 1, rejected: 3, rate: 0.25 },
  latency_ms: { p50: 81.4, p95: 190, recent: [80, 190] },
};

describe('describeStatus', () => {
  it('shows the median latency when idle and everything in the tooltip', () => {
    const view = describeStatus(status);
    assert.equal(view.text, '$(sparkle) Mellum 81 ms');
    assert.match(view.tooltip, /mellum-tiny on cpu \(torch\)/);
    assert.match(view.tooltip, /4 shown, 1 accepted, 3 rejected \(25%\)/);
  });

  it('shows indexing progress while the index is being built', () => {
    assert.equal(describeStatus({ ...status, indexing: { done: 3, total: 40 } }).text, '$(sync~spin) Mellum 3/40');
  });

  it('handles a server with no latency figures yet', () => {
    const view = describeStatus({ ...status, latency_ms: { p50: null, p95: null, recent: [] } });
    assert.equal(view.text, '$(sparkle) Mellum –');
  });

  it('turns a failure into a warning', () => {
    assert.match(describeFailure(new Error('boom')).tooltip, /boom/);
  });
});
