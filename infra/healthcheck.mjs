#!/usr/bin/env node
// The image's HEALTHCHECK: asks /healthz of every service this container runs (RIVERWATCH_SERVICES)
// on the port that service listens on, and exits 0 only when all of them answer 200.
// Plain JavaScript without imports, so each check costs one bare `node` start.
// `--print` lists the URLs it would ask instead (test/deploy/healthcheck.test.ts holds them to the config).

/** Each service's health port: the variable riverwatch's config reads, and its default. */
const HEALTH_PORTS = {
  api: ['PORT', 8080],
  worker: ['WORKER_METRICS_PORT', 9464],
  ingest: ['INGEST_METRICS_PORT', 9465],
  inference: ['INFERENCE_METRICS_PORT', 8002],
};

function healthUrls(env) {
  const value = (env.RIVERWATCH_SERVICES || 'all').trim();
  const names = value === 'all' ? Object.keys(HEALTH_PORTS) : value.split(',').map((s) => s.trim()).filter(Boolean);
  return names.flatMap((name) => {
    const entry = HEALTH_PORTS[name];
    if (!entry) throw new Error(`RIVERWATCH_SERVICES names an unknown service "${name}"`);
    const port = env[entry[0]] || String(entry[1]);
    // Port 0 means "any free port", which nothing outside the process can know.
    return port === '0' ? [] : [`http://127.0.0.1:${port}/healthz`];
  });
}

async function healthy(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
    return res.ok;
  } catch {
    return false;
  }
}

const urls = healthUrls(process.env);
if (process.argv.includes('--print')) {
  console.log(JSON.stringify(urls));
} else {
  const results = await Promise.all(urls.map(healthy));
  const failed = urls.filter((_, i) => !results[i]);
  if (failed.length) console.error(`unhealthy: ${failed.join(' ')}`);
  process.exit(failed.length ? 1 : 0);
}
