import * as assert from 'node:assert/strict';
import { withPartialResultToken } from '../../src/protocol';

describe('withPartialResultToken', () => {
  it('adds the token to the first argument object without touching the original', () => {
    const args = [{ uri: 'file:///a.py', diagnostic: { message: 'x' } }, 2];
    assert.deepEqual(withPartialResultToken(args, 't1'), [
      { uri: 'file:///a.py', diagnostic: { message: 'x' }, partialResultToken: 't1' },
      2,
    ]);
    assert.equal('partialResultToken' in (args[0] as object), false);
  });

  it('makes an argument object when the command had none', () => {
    assert.deepEqual(withPartialResultToken([], 't2'), [{ partialResultToken: 't2' }]);
  });
});
