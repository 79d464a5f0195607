import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments } from 'yaml';
import { isRecord, type JsonObject } from './json-value.ts';
import { DeployCheckError } from './problem.ts';

/** A Kubernetes object as written in a manifest: the fields every object has, the rest unchecked here. */
export interface KubeObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

/** An object out of a kustomization, with where it came from so a problem in it names a file. */
export interface RenderedResource {
  object: KubeObject;
  /** The manifest the object was read from, relative to the folder being rendered from. */
  file: string;
  /** The kustomization files whose patches changed it (field positions in `file` no longer hold then). */
  patchedBy: string[];
}

export function objectName(o: KubeObject): string {
  return `${o.kind}/${o.metadata.name}`;
}

/** Identity for duplicate detection: kind, group and name in the object's namespace. */
export function objectId(o: KubeObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${group}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/**
 * Every object in a multi-document YAML file. Duplicate keys and syntax errors fail with their
 * line (the API server's strict decoding refuses duplicate fields too); each document must be a
 * Kubernetes object with apiVersion, kind and metadata.name.
 */
export function readManifest(path: string, file: string): KubeObject[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const objects: KubeObject[] = [];
  for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    const error = doc.errors[0];
    if (error) throw new DeployCheckError([{ file, line: lines.linePos(error.pos[0]).line, where: `document ${i + 1}`, message: error.message.split('\n')[0]! }]);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const line = doc.contents ? lines.linePos(doc.contents.range?.[0] ?? 0).line : undefined;
    if (!isRecord(value)) throw new DeployCheckError([{ file, line, where: `document ${i + 1}`, message: 'is not a mapping' }]);
    const metadata = value.metadata;
    for (const [field, ok] of [
      ['apiVersion', typeof value.apiVersion === 'string'],
      ['kind', typeof value.kind === 'string'],
      ['metadata.name', isRecord(metadata) && typeof metadata.name === 'string'],
    ] as const) {
      if (!ok) throw new DeployCheckError([{ file, line, where: `document ${i + 1}`, message: `missing ${field}` }]);
    }
    if (value.kind === 'List') throw new DeployCheckError([{ file, line, where: `document ${i + 1}`, message: 'kind: List is not supported; write the items as separate documents' }]);
    objects.push(value as KubeObject);
  }
  return objects;
}
