// The graph's force layout (graphology's ForceAtlas2 iteration, from the npm package) in a
// web worker, so that thousands of nodes settle while the page stays free to draw, drag
// and zoom. Positions go back a few times a second rather than after every iteration (as
// the package's own worker supervisor does): each batch costs the page a redraw of every
// node, and a few batches a second keep it fluid. A newer run (the graph grew, or the
// investigator asked for a layout again) replaces the one in progress.
import iterate from "graphology-layout-forceatlas2/iterate.js";

const SLICE_MS = 40; // iterate this long, then look for a newer run
let current = 0;
// while the page's graph is dragged or zoomed the layout waits ({pause: true}), leaving
// the machine to drawing, and goes on where it was at {pause: false}
let paused = false;
let resume = null;

self.onmessage = ({ data }) => {
  if ("pause" in data) {
    paused = data.pause;
    const next = resume;
    resume = null;
    if (!paused && next) next();
    return;
  }
  const { run, settings, iterations, postMs } = data;
  current = run;
  paused = Boolean(data.paused); // a run asked for mid-drag waits for the drag to end
  const nodes = new Float32Array(data.nodes);
  const edges = new Float32Array(data.edges);
  let done = 0;
  let posted = performance.now();
  const slice = () => {
    if (run !== current) return;
    if (paused) {
      resume = slice;
      return;
    }
    const stop = performance.now() + SLICE_MS;
    while (done < iterations && performance.now() < stop) {
      iterate(settings, nodes, edges);
      done += 1;
    }
    const finished = done >= iterations;
    if (finished || performance.now() - posted >= postMs) {
      const copy = nodes.slice();
      self.postMessage({ run, nodes: copy.buffer, finished, done }, [copy.buffer]);
      posted = performance.now();
    }
    if (!finished) setTimeout(slice, 0);
  };
  slice();
};
