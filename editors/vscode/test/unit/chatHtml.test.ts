import * as assert from 'node:assert/strict';
import { chatHtml } from '../../src/chatHtml';

describe('chatHtml', () => {
  const html = chatHtml('n0nce', 'vscode-resource:');

  it('allows only scripts carrying the nonce', () => {
    assert.match(html, /script-src 'nonce-n0nce'/);
    assert.match(html, /<script nonce="n0nce">/);
  });

  it('embeds a script that parses', () => {
    const script = /<script nonce="n0nce">([\s\S]*)<\/script>/.exec(html)?.[1];
    assert.ok(script);
    assert.doesNotThrow(() => new Function('acquireVsCodeApi', 'document', 'window', script));
  });
});
