import * as assert from 'node:assert/strict';
import { AcceptanceTracker, completionId } from '../../src/acceptance';

function recorder(): { sent: string[]; tracker: AcceptanceTracker } {
  const sent: string[] = [];
  const tracker = new AcceptanceTracker((method, params) => sent.push(`${method} ${params.id}`));
  return { sent, tracker };
}

describe('AcceptanceTracker', () => {
  it('reports a shown suggestion once, then its acceptance', () => {
    const { sent, tracker } = recorder();
    tracker.shown('c1');
    tracker.shown('c1');
    tracker.accepted('c1');
    assert.deepEqual(sent, ['mellum/didShowCompletion c1', 'mellum/didAcceptCompletion c1']);
  });

  it('counts a shown suggestion replaced by another as rejected', () => {
    const { sent, tracker } = recorder();
    tracker.shown('c1');
    tracker.shown('c2');
    assert.deepEqual(sent, [
      'mellum/didShowCompletion c1',
      'mellum/didRejectCompletion c1',
      'mellum/didShowCompletion c2',
    ]);
  });

  it('counts a shown suggestion followed by an empty answer as rejected', () => {
    const { sent, tracker } = recorder();
    tracker.shown(7);
    tracker.shown(undefined);
    tracker.rejectPending();
    assert.deepEqual(sent, ['mellum/didShowCompletion 7', 'mellum/didRejectCompletion 7']);
  });

  it('rejects nothing after an acceptance', () => {
    const { sent, tracker } = recorder();
    tracker.shown('c1');
    tracker.accepted('c1');
    tracker.rejectPending();
    assert.equal(sent.length, 2);
  });
});

describe('completionId', () => {
  it('reads the first command argument, plain or as {id}', () => {
    assert.equal(completionId({ arguments: ['abc'] }), 'abc');
    assert.equal(completionId({ arguments: [{ id: 3 }] }), 3);
    assert.equal(completionId({ arguments: [] }), undefined);
    assert.equal(completionId(undefined), undefined);
  });
});
