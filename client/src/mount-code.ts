// The "Your code" card with its editors: CodeMirror and the card load only when the card is
// first opened (or code is handed to it), never before the first paint.
import type { CustomActions } from './custom-actions.js';
import type { Store } from './state/store.js';
import { codeCard } from './views/code-card.js';

export function mountCodeCard(body: HTMLElement, store: Store, custom: CustomActions, sampleHz: () => number): void {
  codeCard(body, store, custom, sampleHz);
}
