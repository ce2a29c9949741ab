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
