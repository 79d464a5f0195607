export { main, type CliCommand } from './main.ts';
export { runStack, type Stack, type StackOptions } from './stack.ts';
export { runAudit, type AuditOptions, type AuditReport } from './audit/run-audit.ts';
export { parseTiling } from './vision-errors.ts';
