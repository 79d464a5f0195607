type Child = Node | string | null | undefined | false;
type Props<K extends keyof HTMLElementTagNameMap> = Partial<Omit<HTMLElementTagNameMap[K], 'style' | 'dataset'>> & { dataset?: Record<string, string> };

/**
 * Builds an element. Text always goes in as text nodes, never as HTML: camera names, notes
 * and error messages come from users.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props<K> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const { dataset, ...rest } = props;
  const node = Object.assign(document.createElement(tag), rest);
  if (dataset) Object.assign(node.dataset, dataset);
  for (const child of children) if (child) node.append(child);
  return node;
}

/** An SVG element with attributes (SVG has no property setters for most of them). */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (SVGElement | string)[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

export function button(label: string, onClick: () => void | Promise<void>, props: Props<'button'> = {}): HTMLButtonElement {
  return h('button', { type: 'button', textContent: label, onclick: () => void Promise.resolve().then(onClick).catch(showError), ...props });
}

/** A transient message in the page's status bar; errors stay until the next message. */
export function showMessage(text: string, kind: 'info' | 'error' = 'info'): void {
  const bar = document.querySelector<HTMLElement>('#status-bar');
  if (!bar) return;
  bar.textContent = text;
  bar.className = kind;
  if (kind === 'info') setTimeout(() => bar.textContent === text && (bar.textContent = ''), 4000);
}

export function showError(err: unknown): void {
  showMessage(`⚠ ${err instanceof Error ? err.message : String(err)}`, 'error');
}
