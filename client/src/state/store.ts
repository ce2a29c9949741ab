// The state as a signal (@preact/signals-core): views read slices through computed() and re-render
// only when their slice changes — a 1 kHz samples message redraws the chart, not the history.
import { computed, effect, signal, type ReadonlySignal } from '@preact/signals-core';
import { apply } from './apply.js';
import { initialState, type DashboardEvent, type DashboardState } from './dashboard-state.js';

export interface Store {
  readonly state: ReadonlySignal<DashboardState>;
  dispatch(event: DashboardEvent): void;
  /** A slice of the state: its subscribers run again only when the slice is a new value. */
  select<T>(pick: (s: DashboardState) => T): ReadonlySignal<T>;
}

export function createStore(initial: DashboardState = initialState()): Store {
  const state = signal(initial);
  return {
    state,
    dispatch(event) {
      state.value = apply(state.value, event);
    },
    select<T>(pick: (s: DashboardState) => T): ReadonlySignal<T> {
      let last: { value: T } | undefined;
      return computed(() => {
        const next = pick(state.value);
        if (last && shallowEqual(last.value, next)) return last.value; // same reference: subscribers stay put
        last = { value: next };
        return next;
      });
    },
  };
}

/** Equal, or plain objects/arrays whose own entries are identical (a slice rebuilt from unchanged parts). */
export function shallowEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.prototype && !Array.isArray(a)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Runs `render` now and whenever the signals it reads change. */
export const watch = (render: () => void): (() => void) => effect(render);
