import { isRecord } from './json-value.ts';
import type { KubeObject } from './kube-object.ts';
import type { SchemaViolation } from './k8s-schema.ts';

/**
 * KEDA's CRD types a trigger's `metadata` as a free string map, so a misspelt key (`listname`)
 * passes the schema and the scaler then fails or falls back at run time. These are the keys each
 * scaler riverwatch uses reads (KEDA 2.x docs, "Redis Lists", "Redis Lists (supports Redis
 * Cluster)", "CPU" and "Prometheus"); a trigger type not listed here is refused until its keys are added.
 */
const COMMON_REDIS = ['usernameFromEnv', 'passwordFromEnv', 'listName', 'listLength', 'activationListLength', 'enableTLS', 'unsafeSsl', 'databaseIndex'];
const TRIGGER_METADATA: Record<string, { keys: string[]; required: string[] }> = {
  redis: { keys: ['address', 'addressFromEnv', 'host', 'hostFromEnv', 'port', 'portFromEnv', ...COMMON_REDIS], required: ['listName', 'listLength'] },
  'redis-cluster': { keys: ['addresses', 'addressesFromEnv', 'hosts', 'hostsFromEnv', 'ports', 'portsFromEnv', ...COMMON_REDIS], required: ['listName', 'listLength'] },
  // The kind of figure (Utilization or AverageValue) is the trigger's metricType, beside metadata.
  cpu: { keys: ['value', 'containerName'], required: ['value'] },
  prometheus: {
    keys: ['serverAddress', 'query', 'queryParameters', 'threshold', 'activationThreshold', 'namespace', 'customHeaders', 'ignoreNullValues', 'unsafeSsl', 'authModes', 'timeout'],
    required: ['serverAddress', 'query', 'threshold'],
  },
};

export function checkKedaTriggers(object: KubeObject): SchemaViolation[] {
  if (!object.apiVersion.startsWith('keda.sh/') || (object.kind !== 'ScaledObject' && object.kind !== 'ScaledJob')) return [];
  const spec = object.spec;
  const triggers = isRecord(spec) && Array.isArray(spec.triggers) ? spec.triggers : [];
  return triggers.flatMap((trigger: unknown, i): SchemaViolation[] => {
    if (!isRecord(trigger) || typeof trigger.type !== 'string') return [];
    const known = TRIGGER_METADATA[trigger.type];
    const at = (...rest: string[]) => ['spec', 'triggers', i, ...rest];
    if (!known) return [{ tokens: at('type'), message: `trigger type "${trigger.type}" has no list of metadata keys in scripts/deploy-check/keda-triggers.ts; add its keys from KEDA's docs` }];
    const metadata = isRecord(trigger.metadata) ? trigger.metadata : {};
    return [
      ...Object.keys(metadata)
        .filter((k) => !known.keys.includes(k))
        .map((k) => ({ tokens: at('metadata', k), message: `unknown ${trigger.type} trigger key "${k}" (known: ${known.keys.join(', ')})` })),
      ...known.required.filter((k) => metadata[k] === undefined).map((k) => ({ tokens: at('metadata', k), message: 'is required' })),
    ];
  });
}
