import * as kedaV1alpha1 from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as monitoringV1 from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { escapePointerToken, fieldPath, isRecord, parsePointer } from './json-value.ts';
import type { KubeObject } from './kube-object.ts';

/**
 * Checks Kubernetes objects against the API's own schemas, as shipped by kubernetes-models
 * (core and apps, from the Kubernetes OpenAPI spec), @kubernetes-models/keda (KEDA's CRDs) and
 * @kubernetes-models/prometheus-operator (the operator's CRDs): types, enums, required fields,
 * formats. Those validators accept fields they do not know, where `kubectl apply --validate=strict`
 * refuses them; `unknownFields` adds that refusal.
 */
interface ValidationErrorLike {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data?: unknown): { validate(): void };
}

const MODEL_GROUPS: unknown[] = [coreV1, appsV1, policyV1, batchV1, autoscalingV2, networkingV1, rbacV1, kedaV1alpha1, monitoringV1];

const models = new Map<string, ModelClass>();
for (const group of MODEL_GROUPS) {
  for (const value of Object.values(group as Record<string, unknown>)) {
    const m = value as Partial<ModelClass>;
    if (typeof value === 'function' && typeof m.apiVersion === 'string' && typeof m.kind === 'string') models.set(`${m.apiVersion}/${m.kind}`, value as ModelClass);
  }
}

/** One thing the schema refuses, at a field path inside the object. */
export interface SchemaViolation {
  tokens: (string | number)[];
  message: string;
}

export function hasSchema(o: KubeObject): boolean {
  return models.has(`${o.apiVersion}/${o.kind}`);
}

function schemaErrors(model: ModelClass, data: unknown): ValidationErrorLike[] {
  try {
    new model(data).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: ValidationErrorLike[] }).errors;
    if (!errors) throw err;
    return errors;
  }
}

export function validateObject(object: KubeObject): SchemaViolation[] {
  const model = models.get(`${object.apiVersion}/${object.kind}`);
  if (!model) {
    return [{ tokens: ['apiVersion'], message: `no schema for ${object.apiVersion} ${object.kind} (known: core, apps, policy, batch, autoscaling/v2, networking, rbac, KEDA, Prometheus Operator)` }];
  }
  return [...describeErrors(schemaErrors(model, object)), ...unknownFields(model, object)];
}

/**
 * Fields the schema does not know. The validators are compiled code, not schemas we can mark
 * `additionalProperties: false`, so each field is probed instead: a value no schema accepts (a
 * function) put in its place must make the validator complain at that path; if it does not, the
 * schema never looked there. Maps (labels, data, KEDA trigger metadata) type their values, so
 * their keys all count as known; a field whose schema accepts anything would read as unknown.
 */
function unknownFields(model: ModelClass, object: KubeObject): SchemaViolation[] {
  const probe = () => undefined;
  const found: SchemaViolation[] = [];
  const visit = (node: unknown, pointer: string) => {
    if (Array.isArray(node)) {
      node.forEach((e, i) => visit(e, `${pointer}/${i}`));
      return;
    }
    if (!isRecord(node)) return;
    for (const key of Object.keys(node)) {
      const at = `${pointer}/${escapePointerToken(key)}`;
      const saved = node[key];
      node[key] = probe;
      const seen = schemaErrors(model, root).some((e) => e.instancePath === at || e.instancePath?.startsWith(`${at}/`));
      node[key] = saved;
      if (seen) visit(saved, at);
      else found.push({ tokens: parsePointer(at), message: `unknown field "${key}"` });
    }
  };
  const root = structuredClone(object);
  visit(root, '');
  return found;
}

/** Ajv's errors as one line per field, without the noise of every failed branch of an anyOf. */
function describeErrors(errors: ValidationErrorLike[]): SchemaViolation[] {
  const specific = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  const out = new Map<string, SchemaViolation>();
  for (const e of specific) {
    const tokens: (string | number)[] = parsePointer(e.instancePath ?? '');
    let message = e.message ?? e.keyword ?? 'is invalid';
    if (e.keyword === 'required') {
      tokens.push(String(e.params?.missingProperty));
      message = 'is required';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params?.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const path = fieldPath(tokens);
    const previous = out.get(path);
    out.set(path, { tokens, message: previous && previous.message !== message ? `${previous.message}, or ${message}` : message });
  }
  return [...out.values()];
}
