import { describe, expect, it } from 'vitest';
import { spliceSection } from './compare.ts';

describe('spliceSection', () => {
  it('replaces the marked section and keeps the rest of the document', () => {
    const doc = '# Models\n\nintro\n\n<!-- compare:start -->\nold\n<!-- compare:end -->\n\nafter\n';
    expect(spliceSection(doc, 'new')).toBe('# Models\n\nintro\n\n<!-- compare:start -->\nnew\n<!-- compare:end -->\n\nafter\n');
  });

  it('appends a section when the document has none', () => {
    expect(spliceSection('# Models\n', 'table')).toBe('# Models\n\n<!-- compare:start -->\ntable\n<!-- compare:end -->\n');
  });
});
