import { collectDefaultMetrics, Counter, Gauge, Histogram, register, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

/**
 * Get-or-create: services can be started more than once in one process
 * (tests, `--services all`), and prom-client refuses duplicate names.
 */
export function counter<T extends string>(cfg: CounterConfiguration<T>): Counter<T> {
  return (register.getSingleMetric(cfg.name) as Counter<T> | undefined) ?? new Counter(cfg);
}
export function gauge<T extends string>(cfg: GaugeConfiguration<T>): Gauge<T> {
  return (register.getSingleMetric(cfg.name) as Gauge<T> | undefined) ?? new Gauge(cfg);
}
export function histogram<T extends string>(cfg: HistogramConfiguration<T>): Histogram<T> {
  return (register.getSingleMetric(cfg.name) as Histogram<T> | undefined) ?? new Histogram(cfg);
}
export { register as metricsRegistry };

/**
 * Node's own series (prom-client's defaults: `nodejs_gc_duration_seconds` by
 * kind, heap, event-loop lag, `process_cpu_seconds_total`), once per process.
 * Every service's /metrics calls it; a tensor-moving service's mark-compacts
 * show in `nodejs_gc_duration_seconds_count{kind="major"}`.
 */
export function collectProcessMetrics(): void {
  if (!register.getSingleMetric('nodejs_gc_duration_seconds')) collectDefaultMetrics({ register });
}
