// One code field of the "Your code" card: CodeMirror 6 with line numbers, undo, bracket matching,
// highlighting for JavaScript or Python, and Tab to indent (Escape, then Tab, moves focus on, as
// CodeMirror's tab-focus mode does). An error from a run is marked on its line as a lint
// diagnostic. Loaded with the card, after the first paint: CodeMirror is most of its weight.
// Each editor lives in a shadow root: CodeMirror then styles itself through adoptedStyleSheets
// (CSSOM), which the page's Content-Security-Policy allows, where in the document itself it would
// add a <style> element that `style-src 'self'` blocks. Its look is therefore set here, in its theme.
import { indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { python } from '@codemirror/lang-python';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { Compartment } from '@codemirror/state';
import { keymap, placeholder } from '@codemirror/view';
import { basicSetup, EditorView } from 'codemirror';
import type { Runtime } from '../../../shared/runtimes.js';

export interface CodeEditor {
  readonly view: EditorView;
  get(): string;
  set(text: string): void;
  setRuntime(runtime: Runtime, placeholderText?: string): void;
  /** Marks line (1-based) from column (1-based) to the line's end, with the message. */
  mark(line: number, column: number | undefined, message: string): void;
  clearMarks(): void;
}

const languageOf = (runtime: Runtime) => (runtime === 'python' ? python() : javascript());

/** The page's colours (custom properties inherit into the shadow root). */
const theme = EditorView.theme({
  '&': { color: 'var(--text)', backgroundColor: 'var(--bg)', border: '1px solid var(--line)', borderRadius: '4px', maxHeight: '18rem' },
  '&.cm-focused': { outline: '2px solid var(--accent)' },
  '.cm-scroller': { fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, monospace', fontSize: '13px' },
  '.cm-content': { caretColor: 'var(--text)', minHeight: '2.5rem' },
  '.cm-gutters': { backgroundColor: 'var(--panel)', color: 'var(--muted)', borderRight: '1px solid var(--line)' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'var(--hover)' },
});

export function createCodeEditor(parent: HTMLElement, options: { runtime: Runtime; doc: string; label: string; placeholder?: string; onChange?(): void }): CodeEditor {
  const language = new Compartment();
  const hint = new Compartment();
  const root = parent.attachShadow({ mode: 'open' });
  const view = new EditorView({
    parent: root,
    root,
    doc: options.doc,
    extensions: [
      basicSetup,
      theme,
      keymap.of([indentWithTab]),
      language.of(languageOf(options.runtime)),
      hint.of(placeholder(options.placeholder ?? '')),
      lintGutter(),
      EditorView.contentAttributes.of({ 'aria-label': options.label }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        // An edit makes an old error's position meaningless.
        if (update.transactions.some((t) => t.isUserEvent('input') || t.isUserEvent('delete'))) view.dispatch(setDiagnostics(view.state, []));
        options.onChange?.();
      }),
    ],
  });
  return {
    view,
    get: () => view.state.doc.toString(),
    set(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    setRuntime(runtime, placeholderText) {
      view.dispatch({ effects: [language.reconfigure(languageOf(runtime)), hint.reconfigure(placeholder(placeholderText ?? ''))] });
    },
    mark(line, column, message) {
      const doc = view.state.doc;
      const at = doc.line(Math.min(Math.max(1, line), doc.lines));
      const from = Math.min(at.from + Math.max(0, (column ?? 1) - 1), at.to);
      // An empty stretch (an error at the line's end) still needs one character to show.
      const to = at.to > from ? at.to : Math.min(from + 1, doc.length);
      view.dispatch(setDiagnostics(view.state, [{ from: to > from ? from : Math.max(0, from - 1), to: Math.max(to, from), severity: 'error', message }]));
    },
    clearMarks() {
      view.dispatch(setDiagnostics(view.state, []));
    },
  };
}
