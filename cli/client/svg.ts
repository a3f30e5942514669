import type { Viz } from '@viz-js/viz';

let vizInstance: Promise<Viz> | undefined;

/**
 * Graphviz source drawn as SVG by @viz-js/viz: Graphviz compiled to WebAssembly, so `--format svg` needs no
 * `dot` binary on the machine. Loaded only when a command draws, as its instance costs about 0.2 s to start.
 */
export async function renderSvg(dot: string): Promise<string> {
  const viz = await (vizInstance ??= import('@viz-js/viz').then(({ instance }) => instance()));
  const result = viz.render(dot, { format: 'svg' });
  // The CLI writes every dot source itself, so Graphviz refusing one is a bug here, reported with its reasons.
  if (result.status === 'failure') throw new Error(`Graphviz could not draw the graph: ${result.errors.map((error) => error.message).join('; ')}`);
  return result.output;
}
