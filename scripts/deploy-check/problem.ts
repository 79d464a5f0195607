/**
 * One thing wrong with a deployment file, located well enough to fix it: the file (relative to
 * the repository or the folder checked), the line where known, and the field or instruction.
 */
export interface DeployProblem {
  file: string;
  line?: number;
  /** The field path (`Deployment/api spec.replicas`), instruction or entry the problem is in. */
  where: string;
  message: string;
}

export function formatProblem(p: DeployProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.where}: ${p.message}`;
}

/** Thrown where one problem stops the work (a kustomization that cannot be rendered). */
export class DeployCheckError extends Error {
  constructor(readonly problems: DeployProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'DeployCheckError';
  }
}
