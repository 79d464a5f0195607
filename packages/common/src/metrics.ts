import { Counter, Gauge, Histogram, register, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

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
