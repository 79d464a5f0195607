import { isDeepStrictEqual } from 'node:util';
import { isRecord, parsePointer } from './json-value.ts';

/** One RFC 6902 operation, as Kustomize's JSON 6902 patches write them (YAML or JSON). */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

export class JsonPatchError extends Error {}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const OPERATION_FIELDS = new Set(['op', 'path', 'value', 'from']);

/** Checks the shape of a parsed patch; a typo (`pth:`, `op: replce`) fails here, not half-way through. */
export function parseJsonPatch(value: unknown): JsonPatchOperation[] {
  if (!Array.isArray(value)) throw new JsonPatchError('a JSON 6902 patch is a list of operations');
  return value.map((raw, i) => {
    if (!isRecord(raw)) throw new JsonPatchError(`operation ${i} is not a mapping`);
    const unknown = Object.keys(raw).filter((k) => !OPERATION_FIELDS.has(k));
    if (unknown.length) throw new JsonPatchError(`operation ${i}: unknown field "${unknown[0]}"`);
    const { op, path, from } = raw;
    if (typeof op !== 'string' || !OPS.has(op)) throw new JsonPatchError(`operation ${i}: op must be one of ${[...OPS].join(', ')}; got ${JSON.stringify(op)}`);
    if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw new JsonPatchError(`operation ${i}: path must be a JSON pointer ("/spec/replicas")`);
    if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in raw)) throw new JsonPatchError(`operation ${i} (${op} ${path}): needs a value`);
    if ((op === 'move' || op === 'copy') && typeof from !== 'string') throw new JsonPatchError(`operation ${i} (${op} ${path}): needs from`);
    return raw as unknown as JsonPatchOperation;
  });
}

/** Applies the operations to a copy of `doc`; a path that does not exist fails, as kubectl kustomize does. */
export function applyJsonPatch(doc: unknown, ops: readonly JsonPatchOperation[]): unknown {
  let result = structuredClone(doc);
  ops.forEach((op, i) => {
    try {
      result = applyOperation(result, op);
    } catch (err) {
      if (err instanceof JsonPatchError) throw new JsonPatchError(`operation ${i} (${op.op} ${op.path}): ${err.message}`);
      throw err;
    }
  });
  return result;
}

function applyOperation(doc: unknown, op: JsonPatchOperation): unknown {
  switch (op.op) {
    case 'add':
      return add(doc, parsePointer(op.path), structuredClone(op.value));
    case 'remove':
      return remove(doc, parsePointer(op.path));
    case 'replace':
      return replace(doc, parsePointer(op.path), structuredClone(op.value));
    case 'move': {
      const from = parsePointer(op.from!);
      const value = get(doc, from);
      return add(remove(doc, from), parsePointer(op.path), value);
    }
    case 'copy':
      return add(doc, parsePointer(op.path), structuredClone(get(doc, parsePointer(op.from!))));
    case 'test': {
      const actual = get(doc, parsePointer(op.path));
      if (!isDeepStrictEqual(actual, op.value)) throw new JsonPatchError(`test failed: the value is ${JSON.stringify(actual)}`);
      return doc;
    }
  }
}

function describe(tokens: readonly string[]): string {
  return tokens.length ? `/${tokens.join('/')}` : 'the document';
}

function get(doc: unknown, tokens: readonly string[]): unknown {
  let node = doc;
  tokens.forEach((t, i) => {
    if (Array.isArray(node)) {
      const index = arrayIndex(t, node.length - 1, tokens.slice(0, i));
      node = node[index];
    } else if (isRecord(node) && t in node) {
      node = node[t];
    } else {
      throw new JsonPatchError(`${describe(tokens.slice(0, i + 1))} does not exist`);
    }
  });
  return node;
}

function arrayIndex(token: string, max: number, at: readonly string[]): number {
  if (!/^(0|[1-9]\d*)$/.test(token) || Number(token) > max) {
    throw new JsonPatchError(`${describe(at)} has no element "${token}" (it has ${max + 1})`);
  }
  return Number(token);
}

function add(doc: unknown, tokens: readonly string[], value: unknown): unknown {
  if (!tokens.length) return value;
  const parent = get(doc, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : arrayIndex(last, parent.length, tokens.slice(0, -1));
    parent.splice(index, 0, value);
  } else if (isRecord(parent)) {
    parent[last] = value;
  } else {
    throw new JsonPatchError(`${describe(tokens.slice(0, -1))} is a ${typeof parent}, not a mapping or list`);
  }
  return doc;
}

function replace(doc: unknown, tokens: readonly string[], value: unknown): unknown {
  get(doc, tokens);
  if (!tokens.length) return value;
  const parent = get(doc, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent[arrayIndex(last, parent.length - 1, tokens.slice(0, -1))] = value;
  else (parent as Record<string, unknown>)[last] = value;
  return doc;
}

function remove(doc: unknown, tokens: readonly string[]): unknown {
  if (!tokens.length) return undefined;
  const parent = get(doc, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length - 1, tokens.slice(0, -1)), 1);
  } else if (isRecord(parent) && last in parent) {
    delete parent[last];
  } else {
    throw new JsonPatchError(`${describe(tokens)} does not exist`);
  }
  return doc;
}
