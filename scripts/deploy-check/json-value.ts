/** Plain JSON-like data as parsed from YAML: what the renderer and the validators walk. */
export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 6901 escaping of one reference token (`app.kubernetes.io/name` → `app.kubernetes.io~1name`). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A path as people write it: `spec.template.spec.containers[0].env`, `metadata.labels["app.kubernetes.io/name"]`. */
export function fieldPath(tokens: readonly (string | number)[]): string {
  let out = '';
  for (const t of tokens) {
    if (typeof t === 'number' || /^\d+$/.test(t)) out += `[${t}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(t)) out += out ? `.${t}` : t;
    else out += `[${JSON.stringify(t)}]`;
  }
  return out || '(document)';
}
