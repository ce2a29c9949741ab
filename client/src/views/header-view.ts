// The header's live parts: the connection badge (live only once the server's hello is in), and the
// theme toggle (follows the system's light or dark preference until the user picks one).
import { setData, setText } from '../dom.js';
import { watch, type Store } from '../state/store.js';
import { themeChanged } from './chart-theme.js';

const THEMES = ['auto', 'light', 'dark'] as const;
type Theme = (typeof THEMES)[number];
const KEY = 'memtide-theme';

function stored(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return THEMES.includes(t as Theme) ? (t as Theme) : 'auto';
  } catch {
    return 'auto'; // storage can be off (a report opened from disk in some browsers)
  }
}

export function themeToggle(button: HTMLButtonElement): void {
  let theme = stored();
  const apply = () => {
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    button.textContent = `Theme: ${theme}`;
    button.ariaLabel = `Colour theme: ${theme} (press to change)`;
    themeChanged();
  };
  button.addEventListener('click', () => {
    theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length]!;
    try {
      localStorage.setItem(KEY, theme);
    } catch {
      // kept for this page only
    }
    apply();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => theme === 'auto' && themeChanged());
  apply();
}

export function connectionBadge(badge: HTMLElement, store: Store): void {
  const view = store.select((s) => ({ ...s.connection, ready: s.ready }));
  watch(() => {
    const { state, detail, ready } = view.value;
    const waiting = state === 'open' && !ready;
    setData(badge, 'state', waiting ? 'connecting' : state);
    setText(badge, waiting ? 'loading…' : detail);
  });
}
