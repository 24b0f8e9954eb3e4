import * as assert from 'node:assert/strict';
import { ChatSession } from '../../src/chatSession';

describe('ChatSession', () => {
  it('streams deltas into the answer, then takes the final content as authoritative', () => {
    const chat = new ChatSession();
    assert.deepEqual(chat.ask('  what does f do? '), [{ role: 'user', content: 'what does f do?' }]);
    chat.append('It ');
    assert.equal(chat.append('adds').content, 'It adds');
    assert.ok(chat.busy);
    chat.finish('It adds two numbers.');
    assert.ok(!chat.busy);
    assert.deepEqual(
      chat.ask('and g?').map((m) => m.content),
      ['what does f do?', 'It adds two numbers.', 'and g?'],
    );
  });

  it('leaves a failed exchange out of later prompts but keeps it on screen', () => {
    const chat = new ChatSession();
    chat.ask('first');
    chat.append('partial');
    chat.fail('cancelled');
    assert.deepEqual(chat.ask('second'), [{ role: 'user', content: 'second' }]);
    assert.equal(chat.transcript[1].content, 'partial');
    assert.equal(chat.transcript[1].error, 'cancelled');
  });

  it('refuses empty questions and a second question while one streams', () => {
    const chat = new ChatSession();
    assert.throws(() => chat.ask('   '), /empty/);
    chat.ask('q');
    assert.throws(() => chat.ask('again'), /still streaming/);
    assert.throws(() => chat.clear(), /still streaming/);
  });
});
