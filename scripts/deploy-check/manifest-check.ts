import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { fieldPath, isRecord } from './json-value.ts';
import { checkKedaTriggers } from './keda-triggers.ts';
import { validateObject } from './k8s-schema.ts';
import { objectName, type RenderedResource } from './kube-object.ts';
import { renderKustomization } from './kustomize.ts';
import { DeployCheckError, type DeployProblem } from './problem.ts';
import { fieldLine } from './yaml-position.ts';

export interface ManifestCheck {
  resources: RenderedResource[];
  problems: DeployProblem[];
}

/**
 * Renders a kustomization and checks every object it produces against its schema (unknown
 * fields included) and KEDA's trigger keys. A kustomization that cannot be rendered is one
 * problem; otherwise each problem names the manifest the object came from and the field.
 */
export function checkKustomization(dir: string, root: string): ManifestCheck {
  let resources: RenderedResource[];
  try {
    resources = renderKustomization(dir, root);
  } catch (err) {
    if (err instanceof DeployCheckError) return { resources: [], problems: err.problems };
    throw err;
  }
  const problems = resources.flatMap((r) =>
    [...validateObject(r.object), ...checkKedaTriggers(r.object)].map((v) => ({
      file: r.file,
      // Positions in the file hold only while no patch has moved things about.
      line: r.patchedBy.length ? undefined : sourceLine(resolve(root, r.file), r, v.tokens),
      where: `${objectName(r.object)} ${fieldPath(v.tokens)}`,
      message: r.patchedBy.length ? `${v.message} (after patches in ${[...new Set(r.patchedBy)].join(', ')})` : v.message,
    })),
  );
  return { resources, problems };
}

/** The line of a field in the manifest the object came from. */
function sourceLine(path: string, r: RenderedResource, tokens: readonly (string | number)[]): number | undefined {
  const lines = new LineCounter();
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { lineCounter: lines });
  const doc = (Array.isArray(docs) ? docs : [docs]).find((d) => {
    const v: unknown = d.toJS();
    return isRecord(v) && v.kind === r.object.kind && isRecord(v.metadata) && v.metadata.name === r.object.metadata.name;
  });
  if (!doc) return undefined;
  return fieldLine(doc.contents, lines, tokens);
}
