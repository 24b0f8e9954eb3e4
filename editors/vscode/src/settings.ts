/**
 * Which VS Code settings go to the server, and how the server is launched.
 *
 * Settings under `mellum.*` mirror the server's own keys (`completion.debounce_ms` ...), so they
 * are passed through unchanged. Only values the user set are sent: the server folds them over
 * its config files, and sending every default would silently override `mellum-lsp.toml`.
 * `mellum.server.*` and `mellum.trace.*` belong to the client and are never sent.
 */

const CLIENT_SECTIONS = ['server', 'trace'];

export interface ServerLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Nested settings from dotted keys the user set, e.g. `{"completion.debounce_ms": 50}`. */
export function serverSettings(explicit: Record<string, unknown>): Record<string, unknown> {
  const nested: Record<string, unknown> = {};
  for (const [dotted, value] of Object.entries(explicit)) {
    const parts = dotted.split('.');
    if (value === undefined || CLIENT_SECTIONS.includes(parts[0])) {
      continue;
    }
    let node = nested;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== 'object' || next === null) {
        node[part] = {};
      }
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return nested;
}

/** The server command line from `mellum.server.*`, with clear errors for values that cannot run. */
export function serverLaunch(command: unknown, args: unknown, env: unknown): ServerLaunch {
  if (typeof command !== 'string' || command.trim() === '') {
    throw new Error('mellum.server.command must be a program name or path, e.g. "mellum-lsp"');
  }
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw new Error('mellum.server.args must be a list of strings, e.g. ["serve"]');
  }
  const extra: Record<string, string> = {};
  if (env !== undefined && env !== null) {
    if (typeof env !== 'object' || Array.isArray(env)) {
      throw new Error('mellum.server.env must be an object of strings');
    }
    for (const [key, value] of Object.entries(env)) {
      if (typeof value !== 'string') {
        throw new Error(`mellum.server.env.${key} must be a string`);
      }
      extra[key] = value;
    }
  }
  return { command: command.trim(), args: args as string[], env: extra };
}
