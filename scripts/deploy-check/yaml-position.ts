import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

/**
 * The line of a field in a parsed YAML document: the line of its key, or of the nearest parent
 * that exists when the field itself is missing (a required field, a misspelt one's neighbour).
 */
export function fieldLine(contents: Node | null | undefined, lines: LineCounter, tokens: readonly (string | number)[]): number | undefined {
  const at = (n: Node | null | undefined) => (n?.range ? lines.linePos(n.range[0]).line : undefined);
  let node: unknown = contents;
  let line = at(contents);
  for (const token of tokens) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === token);
      if (!pair) break;
      line = at(pair.key as Node) ?? line;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(String(token)) && node.items[Number(token)]) {
      node = node.items[Number(token)];
      line = at(node as Node) ?? line;
    } else {
      break;
    }
  }
  return line;
}
