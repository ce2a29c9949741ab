// When a Chart.js view draws: at most once per animation frame, and a chart with nothing in it (a
// run that has just started: its first samples are ~10-25 ms away, its bars 100s of ms) 150 ms
// later unless data comes first. Drawn at once, those updates (3-14 ms each) and their layout sat
// in the frame the run's first samples then waited on: the tail of sample → frame latency.
export const EMPTY_DRAW_DELAY_MS = 150;

/**
 * A function to call whenever the view changed; `empty`: it has nothing to show but axes. Until an
 * emptied chart is drawn, its canvas is hidden (a style change, no Chart.js update), so the 150 ms
 * never show the previous run's figures beside the new run's title and toggles.
 */
export function drawScheduler(draw: () => void, canvasOf?: () => HTMLCanvasElement | undefined): (empty: boolean) => void {
  let frame = 0;
  let later = 0;
  const soon = () => {
    window.clearTimeout(later);
    later = 0;
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      draw();
      const canvas = canvasOf?.();
      if (canvas?.style.visibility) canvas.style.visibility = '';
    });
  };
  return (empty) => {
    if (!empty) return soon();
    if (frame) return;
    const canvas = canvasOf?.();
    if (canvas && !later) canvas.style.visibility = 'hidden'; // CSSOM: the CSP allows it
    later ||= window.setTimeout(soon, EMPTY_DRAW_DELAY_MS);
  };
}
