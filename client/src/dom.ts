// A tiny element builder: properties and children in one call, typed by tag.
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node: HTMLElementTagNameMap[K] = document.createElement(tag);
  const { dataset, ...rest } = props as { dataset?: Record<string, string> };
  Object.assign(node, rest);
  if (dataset) Object.assign(node.dataset, dataset);
  node.append(...children);
  return node;
}

/** Saves text or a data URL as a file through a temporary link. */
export function download(filename: string, content: string, type = 'application/octet-stream'): void {
  const href = content.startsWith('data:') ? content : URL.createObjectURL(new Blob([content], { type }));
  const link = el('a', { href, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  if (!content.startsWith('data:')) setTimeout(() => URL.revokeObjectURL(href), 1000);
}

/**
 * Writes only what differs: setting a text, attribute or property to the value it already has
 * still invalidates style and layout, and mid-run that cost a full-page layout per state change.
 */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function setData(node: HTMLElement, key: string, value: string): void {
  if (node.dataset[key] !== value) node.dataset[key] = value;
}

export function setProp<T extends object, K extends keyof T>(node: T, key: K, value: T[K]): void {
  if (node[key] !== value) node[key] = value;
}
