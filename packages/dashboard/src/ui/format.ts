export function clockTime(ms: number | null): string {
  return ms ? new Date(ms).toLocaleTimeString() : '—';
}

export function dateTime(ms: number | null): string {
  return ms ? new Date(ms).toLocaleString() : '—';
}

export function percent(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)}%`;
}

export function classSummary(classes: Record<string, number>): string {
  return Object.entries(classes).map(([name, n]) => `${name} ${n}`).join(', ') || '—';
}

export function alertTypeLabel(type: string): string {
  return type.replace('_', ' ');
}
