import * as assert from 'node:assert/strict';
import { serverLaunch, serverSettings } from '../../src/settings';

describe('serverSettings', () => {
  it('nests the dotted keys the user set, as the server reads them', () => {
    assert.deepEqual(
      serverSettings({ 'completion.debounce_ms': 50, 'completion.multiline': 'never', 'model.name': '/ckpt' }),
      { completion: { debounce_ms: 50, multiline: 'never' }, model: { name: '/ckpt' } },
    );
  });

  it('keeps client-only settings and unset values away from the server', () => {
    assert.deepEqual(
      serverSettings({ 'server.command': 'x', 'trace.server': 'verbose', 'chat.top_k': undefined, log_level: 'debug' }),
      { log_level: 'debug' },
    );
  });
});

describe('serverLaunch', () => {
  it('returns the command line and extra environment', () => {
    assert.deepEqual(serverLaunch(' mellum-lsp ', ['serve'], { A: '1' }), {
      command: 'mellum-lsp',
      args: ['serve'],
      env: { A: '1' },
    });
  });

  it('says which setting is wrong', () => {
    assert.throws(() => serverLaunch('', ['serve'], {}), /mellum.server.command/);
    assert.throws(() => serverLaunch('m', 'serve', {}), /mellum.server.args/);
    assert.throws(() => serverLaunch('m', [], { A: 1 }), /mellum.server.env.A/);
  });
});
