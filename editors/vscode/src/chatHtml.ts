/**
 * The chat webview's page. The extension owns the conversation and posts the whole transcript
 * (`{type: "turns", turns}`) on every change; the page only renders it and posts back
 * `{type: "ask", text}`, `{type: "stop"}` and `{type: "clear"}`.
 */

export function chatHtml(nonce: string, cspSource: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 8px; }
  .turn { margin: 8px 0; white-space: pre-wrap; word-wrap: break-word; }
  .turn .role { font-weight: bold; opacity: 0.8; }
  .turn.assistant .text { font-family: var(--vscode-editor-font-family); }
  .turn.error .text { color: var(--vscode-errorForeground); }
  .streaming .text::after { content: '▍'; opacity: 0.6; }
  form { display: flex; gap: 4px; position: sticky; bottom: 0; padding: 8px 0; background: var(--vscode-sideBar-background); }
  textarea { flex: 1; resize: vertical; min-height: 2.5em; color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); }
  button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 4px 8px; }
</style>
</head>
<body>
<div id="log" role="log" aria-live="polite"></div>
<form id="form">
  <textarea id="input" placeholder="Ask about this repository (Enter sends, Shift+Enter adds a line)"></textarea>
  <button id="send" type="submit">Send</button>
  <button id="stop" type="button" hidden>Stop</button>
  <button id="clear" type="button">Clear</button>
</form>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const log = document.getElementById('log');
  const input = document.getElementById('input');
  const send = document.getElementById('send');
  const stop = document.getElementById('stop');
  function render(turns) {
    log.replaceChildren(...turns.map((turn) => {
      const div = document.createElement('div');
      div.className = 'turn ' + turn.role + (turn.streaming ? ' streaming' : '') + (turn.error ? ' error' : '');
      const role = document.createElement('div');
      role.className = 'role';
      role.textContent = turn.role === 'user' ? 'You' : 'Mellum';
      const text = document.createElement('div');
      text.className = 'text';
      text.textContent = turn.content + (turn.error ? '\\n[' + turn.error + ']' : '');
      div.append(role, text);
      return div;
    }));
    const busy = turns.some((t) => t.streaming);
    send.hidden = busy;
    stop.hidden = !busy;
    window.scrollTo(0, document.body.scrollHeight);
  }
  window.addEventListener('message', (event) => {
    if (event.data.type === 'turns') { render(event.data.turns); }
  });
  document.getElementById('form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim() !== '') {
      vscode.postMessage({ type: 'ask', text: input.value });
      input.value = '';
    }
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      document.getElementById('form').requestSubmit();
    }
  });
  stop.addEventListener('click', () => vscode.postMessage({ type: 'stop' }));
  document.getElementById('clear').addEventListener('click', () => vscode.postMessage({ type: 'clear' }));
  vscode.postMessage({ type: 'ready' });
</script>
</body>
</html>`;
}
