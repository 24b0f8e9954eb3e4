import * as assert from 'node:assert/strict';
import type { StatusResult } from '../../src/protocol';
import { describeFailure, describeStatus } from '../../src/status';

const status: StatusResult = {
  model: 'mellum-tiny',
  loaded: true,
  problem: null,
  device: 'cpu',
  backend: 'torch',
  indexing: { done: 10, total: 10 },
  queue: { pending: ['chat'], running: ['completion'] },
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

  it('says when the model is loading or could not be loaded', () => {
    assert.equal(describeStatus({ ...status, loaded: false }).text, '$(loading~spin) Mellum');
    const broken = describeStatus({ ...status, loaded: false, problem: 'Model not found' });
    assert.equal(broken.text, '$(warning) Mellum');
    assert.match(broken.tooltip, /Model not found/);
  });

  it('counts the queue and shows no rate before anything was shown', () => {
    const view = describeStatus({ ...status, acceptance: { shown: 0, accepted: 0, rejected: 0, rate: null } });
    assert.match(view.tooltip, /Queue: 1 running, 1 waiting/);
    assert.match(view.tooltip, /0 shown, 0 accepted, 0 rejected \(–\)/);
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
