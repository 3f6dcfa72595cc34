// The workbench page: case queue, case view and exploration on one WebGL graph (sigma.js
// over a graphology graph). Every number it shows comes from the JSON API of
// `graphscan serve`; it computes only what the browser needs to brush and filter.
import Graph from "graphology";
import forceAtlas2 from "graphology-layout-forceatlas2";
import FA2_DEFAULTS from "graphology-layout-forceatlas2/defaults.js";
import { assignLayoutChanges, graphToByteArrays } from "graphology-layout-forceatlas2/helpers.js";
import { bidirectional } from "graphology-shortest-path/unweighted";
import Sigma from "sigma";
import { NodeCircleProgram } from "sigma/rendering";

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const kid of kids.flat()) node.append(kid instanceof Node ? kid : document.createTextNode(kid ?? ""));
  return node;
};
const bi = (zh, en) => el("span", {}, zh, el("span", { class: "en" }, " " + en));
const money = (v) => "¥" + Number(v || 0).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dayText = (d) => new Date(d * 86400000).toISOString().slice(0, 10);
const STATUSES = { new: "新案件", reviewing: "核查中", confirmed: "已确认", dismissed: "已排除", referred: "已移送" };
const NEXT = { new: ["reviewing", "dismissed"], reviewing: ["confirmed", "dismissed"], confirmed: ["referred", "reviewing"], dismissed: ["reviewing"], referred: [] };

let me = null;

async function api(path, options = {}) {
  const headers = { Accept: "application/json" };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = me?.csrf || "";
  }
  const response = await fetch(path, {
    method: options.body !== undefined ? "POST" : "GET",
    headers,
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    credentials: "same-origin",
  });
  if (response.status === 401) {
    location.href = "/login";
    throw new Error("login");
  }
  const data = await response.json();
  if (!response.ok) throw Object.assign(new Error(data.error || response.statusText), { status: response.status });
  return data;
}

function flash(text, bad = false) {
  const box = $("#flash");
  box.textContent = text;
  box.className = bad ? "flash bad" : "flash";
  setTimeout(() => (box.className = "flash hidden"), 6000);
}

// -- the case queue -------------------------------------------------------------------
const queueState = { sort: "rank", order: "asc", page: 1, per_page: 25, q: "", status: "", pattern: "", assignee: "", region: "" };

// the page leaves a graph: its renderer stops (a frame it had scheduled would find its
// container gone) and the layout's late positions find no graph to move
function leaveGraph() {
  if (!view) return;
  view.renderer.kill();
  view = null;
}

async function showQueue() {
  leaveGraph();
  const main = $("#main");
  main.replaceChildren();
  const params = new URLSearchParams(Object.entries(queueState).filter(([, v]) => v !== ""));
  const data = await api("/api/cases?" + params);
  const filters = el("form", { class: "filters", id: "queue-filters", onsubmit: (e) => {
    e.preventDefault();
    for (const name of ["q", "status", "pattern", "assignee", "region"]) queueState[name] = e.target.elements[name].value.trim();
    queueState.page = 1;
    showQueue();
  } },
    el("input", { name: "q", placeholder: "搜索：案件号 / 实体编号 / 遮蔽编号 / 假名前缀 / 机构名称  search", value: queueState.q, size: 48 }),
    select("status", queueState.status, [["", "全部状态 any status"], ...Object.entries(STATUSES).map(([k, v]) => [k, `${v} ${k}`])]),
    select("pattern", queueState.pattern, [["", "全部模式 any pattern"], ["card_lending", "出借/回收医保卡 card lending"], ["kickback", "回扣、倒卖药品 kickback"], ["group_hospitalisation", "诱导/虚假住院 group hospitalisation"], ["identity_misuse", "冒名就医 identity misuse"], ["manual", "办案人员立案 opened by an investigator"]]),
    el("input", { name: "assignee", placeholder: "承办人 assignee", value: queueState.assignee, size: 10 }),
    el("input", { name: "region", placeholder: "地区 region", value: queueState.region, size: 8 }),
    el("button", { type: "submit" }, "筛选 Filter"));
  const columns = [["rank", "排名", "rank"], ["case_id", "案件", "case", false], ["pattern", "模式", "pattern"], ["status", "状态", "status"], ["assignee", "承办人", "assignee"], ["money", "金额", "money"], ["q", "q 值", "q-value"], ["first", "期间", "period"], ["region", "地区", "region"], ["members", "成员", "members"], ["claims", "单据", "claims"]];
  const head = el("tr", {}, columns.map(([key, zh, en, sortable]) => el("th", { class: sortable === false ? "" : "sortable", "data-sort": key, onclick: sortable === false ? undefined : () => {
    queueState.order = queueState.sort === key && queueState.order === "asc" ? "desc" : "asc";
    queueState.sort = key;
    showQueue();
  } }, bi(zh, en), queueState.sort === key ? (queueState.order === "asc" ? " ▲" : " ▼") : "")));
  const body = el("tbody", {}, data.cases.map((c) => el("tr", { class: "case-row", "data-case": c.case_id, onclick: () => (location.hash = "#/case/" + c.case_id) },
    el("td", {}, String(c.rank ?? "")), el("td", {}, el("a", { href: "#/case/" + c.case_id }, c.case_id)),
    el("td", {}, bi(c.pattern_name[0], c.pattern_name[1])), el("td", { class: "status-" + c.status }, `${STATUSES[c.status] || c.status} ${c.status}`),
    el("td", {}, c.assignee || "—"), el("td", { class: "num" }, money(c.total_amount)), el("td", { class: "num" }, Number(c.q_value).toPrecision(2)),
    el("td", {}, `${(c.first_time || "").slice(0, 10)} — ${(c.last_time || "").slice(0, 10)}`), el("td", {}, c.region || ""),
    el("td", { class: "num" }, String(c.members)), el("td", { class: "num" }, String(c.claims)))));
  const pages = Math.max(1, Math.ceil(data.total / data.per_page));
  const pager = el("div", { class: "pager" },
    el("button", { disabled: data.page <= 1 ? "" : null, onclick: () => { queueState.page -= 1; showQueue(); } }, "‹ 上一页 prev"),
    ` ${data.page} / ${pages} · 共 ${data.total} 个案件 ${data.total} cases `,
    el("button", { disabled: data.page >= pages ? "" : null, onclick: () => { queueState.page += 1; showQueue(); } }, "下一页 next ›"));
  main.append(el("h2", {}, bi("案件队列", "Case queue")), filters, el("table", { class: "grid", id: "queue" }, el("thead", {}, head), body), pager);
}

function select(name, value, options) {
  return el("select", { name }, options.map(([v, text]) => el("option", { value: v, ...(v === value ? { selected: "" } : {}) }, text)));
}

// -- the graph view (cases and exploration) ----------------------------------------------
let view = null; // {graph, renderer, kinds, rows, claimDays, columns, from, to, hidden, pinned, path, ...}

// `path` is where the graph came from: fetched again when the server has let its rows
// token expire
function mergeGraph(data, origin, path) {
  const { graph } = view;
  Object.assign(view.kinds, data.kinds || {});
  const center = origin && graph.hasNode(origin) ? graph.getNodeAttributes(origin) : { x: 0, y: 0 };
  for (const n of data.nodes) {
    const size = 3 + 2.2 * Math.log10(1 + n.claims) + (n.role ? 3 : 0);
    const color = (view.kinds[n.kind] || [])[3] || "#888";
    if (graph.hasNode(n.id)) {
      graph.mergeNodeAttributes(n.id, { ...n, label: nodeLabel(n), size: Math.max(size, graph.getNodeAttribute(n.id, "size")) });
    } else {
      const angle = Math.random() * 2 * Math.PI;
      const r = origin ? 5 + Math.random() * 10 : 50 * Math.random();
      graph.addNode(n.id, { ...n, label: nodeLabel(n), size, color, baseColor: color, x: center.x + r * Math.cos(angle), y: center.y + r * Math.sin(angle) });
    }
  }
  for (const e of data.edges) {
    const key = `${e.source}|${e.target}|${e.relation}`;
    if (!graph.hasNode(e.source) || !graph.hasNode(e.target)) continue;
    if (graph.hasEdge(key)) {
      if (graph.getEdgeAttribute(key, "claims") < e.claims) graph.mergeEdgeAttributes(key, e);
    } else {
      graph.addEdgeWithKey(key, e.source, e.target, { ...e, size: Math.min(6, 0.5 + Math.log10(1 + e.claims)), color: "#c8c8c8" });
    }
  }
  const known = new Set(view.rows.map((r) => r[0]));
  for (const row of data.rows || []) if (!known.has(row[0])) { view.rows.push(row); known.add(row[0]); }
  for (const [claim, day] of Object.entries(data.claim_days || {})) {
    view.claimDays.set(claim, day);
    // a claim's further rows are masked as the graph that brought it (and its first rows)
    if (!view.claimToken.has(claim)) view.claimToken.set(claim, data.rows_token);
  }
  view.sources.set(data.rows_token, path);
  view.columns = data.columns?.length ? data.columns : view.columns;
  const days = view.claimDays.size ? [...view.claimDays.values()] : [0];
  const whole = view.from === null || (view.from === view.minDay && view.to === view.maxDay);
  view.minDay = days.reduce((a, b) => Math.min(a, b), Infinity);
  view.maxDay = days.reduce((a, b) => Math.max(a, b), -Infinity);
  if (whole) [view.from, view.to] = [view.minDay, view.maxDay];
  // a large graph draws only its nodes while it is dragged or zoomed (see `moving`), and
  // everything again when it stops
  view.large = graph.size > LARGE_GRAPH_LINKS;
  view.renderer.setSetting("hideEdgesOnMove", view.large);
  view.renderer.setSetting("hideLabelsOnMove", view.large);
  layout();
}
const LARGE_GRAPH_LINKS = 3000;

// While a large graph is dragged or zoomed (sigma's own test of moving: the camera gliding,
// the mouse dragging or the wheel turning) the page draws what moves and no more: sigma
// leaves out links and labels, the nodes skip sigma's picking pass (`NodeProgram`), the
// layers left empty are not composited (the `moving` class), and the layout's worker waits,
// its positions applied once the graph stops. In software WebGL a frame's fixed costs, not
// its nodes, bound the frame rate: 36 nodes drag hardly faster than 6,000. Once the graph
// is still a frame is drawn in full, with its picking pass, so a click finds the node
// under it.
function movingNow(renderer) {
  const mouse = renderer.getMouseCaptor();
  return Boolean(renderer.getCamera().isAnimated() || mouse.isMoving || mouse.draggedEvents || mouse.currentWheelDirection);
}

function setMoving(current, moving) {
  if (current.moving === moving) return;
  current.moving = moving;
  current.renderer.getContainer().classList.toggle("moving", moving);
  layoutWorker?.postMessage({ pause: moving });
  if (moving) { // a drag released without a glide draws no further frame by itself
    const still = setInterval(() => {
      if (view !== current || !current.moving) clearInterval(still);
      else if (!movingNow(current.renderer)) current.renderer.scheduleRender();
    }, STILL_CHECK_MS);
    return;
  }
  const pending = current.pendingLayout;
  current.pendingLayout = null;
  // applied after this frame: moving the nodes makes sigma process them all again
  if (pending) setTimeout(() => applyLayout({ data: pending }), 0);
}
const STILL_CHECK_MS = 100;

// sigma draws every node twice a frame: on screen and into the picking texture that says
// which node is under the mouse. Nothing is hovered or clicked mid-drag, so a frame of a
// moving graph leaves the second drawing out.
class NodeProgram extends NodeCircleProgram {
  render(params) {
    const pick = this.pickProgram;
    if (!pick || !view?.moving) return super.render(params);
    this.pickProgram = null;
    try {
      super.render(params);
    } finally {
      this.pickProgram = pick;
    }
  }
}

function nodeLabel(n) {
  return n.name ? `${n.label} ${n.name}` : n.label;
}

// the force layout runs in a web worker (static/layout-worker.js): the page only applies
// the positions it posts a few times a second, so dragging and zooming stay fluid while
// thousands of nodes settle. `view.settling` is true until the run in progress finishes.
const LAYOUT_POST_MS = 250;
let layoutWorker = null;
let layoutRun = 0;
function layout() {
  const { graph } = view;
  if (graph.order < 2) return;
  if (!layoutWorker) {
    layoutWorker = new Worker("/static/layout-worker.js");
    layoutWorker.onmessage = applyLayout;
  }
  const settings = { ...FA2_DEFAULTS, ...forceAtlas2.inferSettings(graph), barnesHutOptimize: graph.order > 500 };
  const { nodes, edges } = graphToByteArrays(graph, () => 1);
  layoutRun += 1;
  Object.assign(view, { settling: true, layoutRun, layoutOrder: graph.order, layoutBegan: performance.now() });
  layoutWorker.postMessage({ run: layoutRun, paused: Boolean(view.moving), settings, iterations: graph.order > 2000 ? 150 : 300, postMs: LAYOUT_POST_MS, nodes: nodes.buffer, edges: edges.buffer }, [nodes.buffer, edges.buffer]);
}

function applyLayout({ data }) {
  // a run of an earlier graph, or of this one before it grew, is left alone
  if (!view || data.run !== view.layoutRun || view.graph.order !== view.layoutOrder) return;
  if (view.moving) { // the latest positions wait until the graph stops
    view.pendingLayout = data;
    return;
  }
  assignLayoutChanges(view.graph, new Float32Array(data.nodes));
  if (!data.finished) return;
  // drawn now rather than at the next frame, so that once the layout says it is settled
  // every node is where the page shows it (a click there finds it)
  view.renderer.refresh();
  Object.assign(view, { settling: false, layoutMs: performance.now() - view.layoutBegan });
}

function visibleEdge(attrs) {
  const lo = view.from, hi = view.to;
  let n = 0;
  for (const d of attrs.days) if (d >= lo && d <= hi) n += 1;
  return n;
}

// one update of every edge, then of every node: sigma reprocesses the graph once for each,
// not once for each of thousands of attribute changes. The hint names zIndex so that
// sigma indexes everything anew: sigma 3.0.3 refuses to repaint in place what was added
// since its last render ("can't be repaint"), which is what an expansion just did.
const REINDEX = { attributes: ["hidden", "zIndex"] };
function refreshVisibility() {
  const { graph } = view;
  const shown = new Set();
  graph.updateEachEdgeAttributes((key, attrs, source, target) => {
    const ok = visibleEdge(attrs) > 0 && nodeAllowed(source) && nodeAllowed(target);
    if (ok) { shown.add(source); shown.add(target); }
    attrs.hidden = !ok;
    return attrs;
  }, REINDEX);
  graph.updateEachNodeAttributes((node, attrs) => {
    attrs.hidden = !(shown.has(node) || (graph.degree(node) === 0 && nodeAllowed(node)));
    return attrs;
  }, REINDEX);
  $("#graph-count").textContent = `${shown.size} / ${graph.order} 个实体 entities · ${graph.size} 条关系 links`;
  renderEvidence();
  drawTimebar();
}

function nodeAllowed(node) {
  const a = view.graph.getNodeAttributes(node);
  if (view.hidden.has(node)) return false;
  if (!view.kindOn[a.kind]) return false;
  return a.claims >= view.minClaims || view.pinned.has(node) || a.role;
}

function mountGraph(container) {
  const graph = new Graph({ multi: false, type: "undirected" });
  view = { graph, kinds: {}, rows: [], askedRows: new Set(), claimDays: new Map(), claimToken: new Map(), sources: new Map(), columns: [], from: null, to: null, hidden: new Set(), pinned: new Set(), path: new Set(), pathFrom: null, selected: null, chosen: new Set(), kindOn: {}, minClaims: 0 };
  view.renderer = new Sigma(graph, container, {
    renderEdgeLabels: false,
    labelRenderedSizeThreshold: 9,
    nodeProgramClasses: { circle: NodeProgram },
    nodeReducer: (node, data) => {
      const out = { ...data };
      if (view.path.size && !view.path.has(node)) out.color = "#e6e6e6";
      if (view.pinned.has(node)) out.forceLabel = true;
      if (view.selected === node) { out.highlighted = true; out.forceLabel = true; }
      if (view.chosen.has(node)) { out.highlighted = true; out.forceLabel = true; out.color = "#e6194b"; }
      if (data.role) out.forceLabel = true;
      return out;
    },
    edgeReducer: (edge, data) => {
      const out = { ...data };
      if (view.path.size) {
        const [s, t] = view.graph.extremities(edge);
        out.color = view.path.has(s) && view.path.has(t) ? "#d62728" : "#eeeeee";
      }
      return out;
    },
  });
  const current = view;
  view.renderer.on("beforeRender", () => setMoving(current, Boolean(current.large) && movingNow(current.renderer)));
  // a click expands a node; a shift-click adds it to (or takes it from) the selection
  view.renderer.on("clickNode", ({ node, event }) => (event?.original?.shiftKey ? choose(node) : selectNode(node, true)));
  window.__workbench = view; // for tests and the curious: the live graph
}

function selectNode(node, expand) {
  view.selected = node;
  const a = view.graph.getNodeAttributes(node);
  const kind = view.kinds[a.kind] || [a.kind, a.kind];
  $("#node-info").replaceChildren(
    el("b", {}, `${kind[0]} ${kind[1]}: ${a.label}`), el("br"),
    `单据 claims ${a.claims} · 金额 ${money(a.amount)} · ${dayText(a.first)} — ${dayText(a.last)}`,
    a.role ? el("div", {}, `角色 role: ${a.role}`) : "",
    a.cases?.length ? el("div", { class: "cases" }, "所属案件 cases: ", a.cases.map((c) => el("a", { href: "#/case/" + c }, c + " "))) : "");
  view.renderer.refresh();
  if (expand) expandNode(node);
}

async function expandNode(node) {
  const params = new URLSearchParams({ hops: "1" });
  $("#graph-status").textContent = "展开中… expanding…";
  try {
    const path = `/api/entities/${encodeURIComponent(node)}/neighbours?${params}`;
    const current = view;
    const data = await api(path);
    if (view !== current) return; // the page moved on meanwhile
    const before = view.graph.order;
    mergeGraph(data, node, path);
    view.expanded = (view.expanded || 0) + 1;
    $("#graph-status").textContent = `已展开 expanded: +${view.graph.order - before} 个实体 entities, ${data.claims} 张单据 claims`;
    refreshVisibility();
  } catch (err) {
    $("#graph-status").textContent = String(err.message || err);
  }
}

function renderEvidence() {
  const table = $("#evidence");
  if (!table) return;
  const rows = view.rows.filter((row) => inWindow(view.claimDays.get(row[0])));
  let count = 0;
  for (const day of view.claimDays.values()) if (inWindow(day)) count += 1;
  const shown = rows.slice(0, ROWS_SHOWN);
  table.replaceChildren(
    el("thead", {}, el("tr", {}, view.columns.map(([, zh, en]) => el("th", {}, bi(zh, en))))),
    el("tbody", {}, shown.map((r) => el("tr", {}, r.map((v) => el("td", {}, String(v)))))));
  $("#evidence-count").textContent = `时间窗内 ${count} 张单据 claims in the window` + (count > shown.length ? `（表中显示 ${shown.length} 张，全部见证据包 ${shown.length} shown here, all in the evidence package）` : "");
  if (shown.length < Math.min(count, ROWS_SHOWN)) fetchRows(ROWS_SHOWN - shown.length);
}

// a graph arrives with the rows of its first claims only; those of a brushed window are
// fetched when the table needs them (each claim asked for once)
const ROWS_SHOWN = 500;
const inWindow = (day) => day >= view.from && day <= view.to;
async function fetchRows(wanted) {
  if (view.fetchingRows) return;
  const known = new Set(view.rows.map((r) => r[0]));
  const missing = [...view.claimDays]
    .filter(([claim, day]) => inWindow(day) && !known.has(claim) && !view.askedRows.has(claim))
    .sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, wanted)
    .map(([claim]) => claim);
  if (!missing.length) return;
  missing.forEach((claim) => view.askedRows.add(claim));
  const current = view;
  view.fetchingRows = true;
  try {
    const byGraph = new Map();
    for (const claim of missing) {
      const token = current.claimToken.get(claim);
      byGraph.set(token, [...(byGraph.get(token) || []), claim]);
    }
    for (const [token, claims] of byGraph) {
      const data = await graphRows(current, token, claims);
      for (const row of data.rows) if (!known.has(row[0])) { current.rows.push(row); known.add(row[0]); }
    }
    const at = current.columns.findIndex(([column]) => column === "start_time");
    current.rows.sort((x, y) => (x[at] < y[at] ? -1 : x[at] > y[at] ? 1 : x[0] < y[0] ? -1 : 1));
  } catch (err) {
    $("#graph-status").textContent = String(err.message || err);
  } finally {
    current.fetchingRows = false;
  }
  if (view === current) renderEvidence();
}

// rows of claims of one graph, masked among that graph's ids; a graph whose token the
// server no longer keeps (410) is fetched again for a fresh one
async function graphRows(current, token, claims) {
  try {
    return await api("/api/claims/rows", { body: { claims, token } });
  } catch (err) {
    if (err.status !== 410) throw err;
    const path = current.sources.get(token);
    const fresh = await api(path);
    const again = (fresh.graph || fresh).rows_token;
    current.sources.set(again, path);
    for (const [claim, old] of current.claimToken) if (old === token) current.claimToken.set(claim, again);
    return api("/api/claims/rows", { body: { claims, token: again } });
  }
}

// the time bar: claims per day as bars; drag across it to choose the window
function drawTimebar() {
  const svg = $("#timebar");
  if (!svg || !view.claimDays.size) return;
  const width = svg.clientWidth || 800, height = 60, span = Math.max(1, view.maxDay - view.minDay + 1);
  const bins = Math.min(span, 200), per = span / bins, counts = new Array(bins).fill(0);
  for (const d of view.claimDays.values()) counts[Math.min(bins - 1, Math.floor((d - view.minDay) / per))] += 1;
  const top = Math.max(...counts), bw = width / bins, ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const x = (day) => ((day - view.minDay) / span) * width;
  const brush = document.createElementNS(ns, "rect");
  Object.entries({ x: x(view.from), y: 0, width: Math.max(2, x(view.to + 1) - x(view.from)), height, fill: "#fde9c8", id: "brush" }).forEach(([k, v]) => brush.setAttribute(k, v));
  svg.append(brush);
  counts.forEach((c, i) => {
    const bar = document.createElementNS(ns, "rect");
    const h = top ? (c / top) * (height - 14) : 0;
    Object.entries({ x: i * bw, y: height - 12 - h, width: Math.max(1, bw - 1), height: h, fill: "#4e79a7" }).forEach(([k, v]) => bar.setAttribute(k, v));
    svg.append(bar);
  });
  $("#window").textContent = `${dayText(view.from)} — ${dayText(view.to)}`;
}

function wireTimebar() {
  const svg = $("#timebar");
  let start = null;
  const dayAt = (event) => {
    const box = svg.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    return Math.round(view.minDay + f * (view.maxDay - view.minDay));
  };
  svg.addEventListener("mousedown", (e) => { start = dayAt(e); });
  svg.addEventListener("mousemove", (e) => {
    if (start === null) return;
    const d = dayAt(e);
    [view.from, view.to] = [Math.min(start, d), Math.max(start, d)];
    drawTimebar();
  });
  window.addEventListener("mouseup", () => {
    if (start === null) return;
    start = null;
    refreshVisibility();
  });
  $("#window-reset").addEventListener("click", () => { [view.from, view.to] = [view.minDay, view.maxDay]; refreshVisibility(); });
}

function graphPanel() {
  const kinds = el("span", { id: "kind-filters" });
  const panel = el("section", { class: "graph-panel" },
    el("div", { class: "toolbar" }, kinds,
      el("label", {}, "最少单据 min claims ", el("input", { type: "number", id: "min-claims", min: 0, value: 0, style: "width:4em" })),
      el("button", { id: "pin", onclick: () => toggle(view.pinned) }, "固定 pin"),
      el("button", { id: "hide", onclick: () => toggle(view.hidden) }, "隐藏 hide"),
      el("button", { id: "show-all", onclick: () => { view.hidden.clear(); refreshVisibility(); } }, "全部显示 show all"),
      el("button", { id: "path-from", onclick: () => { view.pathFrom = view.selected; flash("起点已选 path start set; select the end and press 路径 path"); } }, "路径起点 path from"),
      el("button", { id: "path-to", onclick: findPath }, "路径 path to"),
      el("button", { id: "choose", title: "或按住 Shift 点击实体 or shift-click an entity", onclick: () => (view.selected ? choose(view.selected) : flash("先点选一个实体 select an entity first", true)) }, "选中 select"),
      el("button", { id: "relayout", onclick: () => { layout(); view.renderer.refresh(); } }, "重新布局 layout"),
      el("span", { id: "graph-status", class: "muted" })),
    el("div", { id: "graph", class: "graph" }),
    el("div", { class: "under-graph" }, el("span", { id: "graph-count", class: "muted" }), el("div", { id: "node-info" })),
    el("div", { class: "timebar" }, el("div", {}, bi("时间轴（拖动选择时间窗）", "time bar (drag to choose a window)"), " ", el("b", { id: "window" }), " ", el("button", { id: "window-reset" }, "全部时间 all")),
      timebarSvg()));
  return panel;
}

function timebarSvg() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.id = "timebar";
  svg.setAttribute("height", "60");
  return svg;
}

function wireFilters() {
  const box = $("#kind-filters");
  box.replaceChildren();
  for (const [kind, [zh, en]] of Object.entries(view.kinds)) {
    if (!(kind in view.kindOn)) view.kindOn[kind] = true;
    box.append(el("label", { class: "kind" }, el("input", { type: "checkbox", "data-kind": kind, ...(view.kindOn[kind] ? { checked: "" } : {}), onchange: (e) => { view.kindOn[kind] = e.target.checked; refreshVisibility(); } }), el("i", { style: `background:${view.kinds[kind][3]}` }), `${zh} ${en}`));
  }
  $("#min-claims").addEventListener("change", (e) => { view.minClaims = Number(e.target.value || 0); refreshVisibility(); });
}

function toggle(set) {
  if (!view.selected) return flash("先点选一个实体 select an entity first", true);
  if (set.has(view.selected)) set.delete(view.selected); else set.add(view.selected);
  if (set === view.pinned) view.graph.setNodeAttribute(view.selected, "fixed", set.has(view.selected));
  refreshVisibility();
}

// -- the selection: entities an investigator gathers to open a case, add to one or split one off
function choose(node) {
  if (view.chosen.has(node)) view.chosen.delete(node); else view.chosen.add(node);
  showSelection();
  view.renderer.refresh();
}

function showSelection() {
  const box = $("#selection");
  if (!box) return;
  const chosen = [...view.chosen];
  const can = new Set(me.permissions);
  const label = (id) => (view.graph.hasNode(id) ? view.graph.getNodeAttribute(id, "label") : id);
  box.replaceChildren(el("div", {}, el("b", {}, `已选 ${chosen.length} 个实体 selected`), " ",
    chosen.slice(0, 12).map((id) => el("span", { class: "chip" }, label(id))), chosen.length > 12 ? " …" : "",
    chosen.length ? el("button", { id: "clear-selection", onclick: () => { view.chosen.clear(); showSelection(); view.renderer.refresh(); } }, "清除 clear") : ""));
  if (!can.has("work") || !chosen.length) return;
  const members = new Set(view.caseMembers || []);
  const outside = chosen.filter((id) => !members.has(id));
  const inside = chosen.filter((id) => members.has(id));
  const go = async (path, body, done) => {
    try {
      const r = await api(path, { body });
      flash(`${done} ${r.case_id}（${r.members} 个成员 members, ${r.claims} 张单据 claims）`);
      location.hash = "#/case/" + r.case_id;
      if (view.caseId === r.case_id) showCase(r.case_id);
    } catch (err) { flash(err.message, true); }
  };
  const actions = el("div", { class: "actions" },
    el("button", { id: "open-case", onclick: () => go("/api/cases", { members: chosen }, "已立案 opened") }, "以选中实体立案 open a case"));
  if (view.caseId) {
    if (outside.length) actions.append(el("button", { id: "add-to-case", onclick: () => go(`/api/cases/${view.caseId}/members`, { members: outside }, "已加入 added to") }, `加入本案 add ${outside.length} to ${view.caseId}`));
    if (inside.length) actions.append(el("button", { id: "split-case", onclick: () => go(`/api/cases/${view.caseId}/split`, { members: inside }, "已拆分为 split into") }, `拆分为新案 split ${inside.length} into a new case`));
  } else {
    const target = el("input", { id: "add-target", placeholder: "案件号 case id", size: 12 });
    actions.append(target, el("button", { id: "add-to-case", onclick: () => target.value.trim() ? go(`/api/cases/${encodeURIComponent(target.value.trim())}/members`, { members: chosen }, "已加入 added to") : flash("请填写案件号 type a case id", true) }, "加入案件 add to case"));
  }
  box.append(actions);
}

function findPath() {
  if (!view.pathFrom || !view.selected) return flash("先选起点和终点 choose both ends", true);
  const path = bidirectional(view.graph, view.pathFrom, view.selected);
  view.path = new Set(path || []);
  flash(path ? `路径 path: ${path.length - 1} 步 steps` : "两者之间没有已加载的路径 no loaded path between them", !path);
  view.renderer.refresh();
}

function moneyByMember(container) {
  const nodes = [];
  view.graph.forEachNode((id, a) => { if (a.role || container.dataset.all) nodes.push(a); });
  nodes.sort((a, b) => b.amount - a.amount);
  container.replaceChildren(el("table", { class: "grid small" },
    el("thead", {}, el("tr", {}, el("th", {}, bi("成员", "member")), el("th", {}, bi("角色", "role")), el("th", {}, bi("单据", "claims")), el("th", {}, bi("金额", "money")))),
    el("tbody", {}, nodes.slice(0, 60).map((a) => el("tr", {}, el("td", {}, a.label), el("td", {}, a.role || ""), el("td", { class: "num" }, String(a.claims)), el("td", { class: "num" }, money(a.amount)))))));
}

// -- the case view ----------------------------------------------------------------------
async function showCase(caseId) {
  leaveGraph();
  const main = $("#main");
  main.replaceChildren(el("p", {}, "载入中… loading…"));
  const c = await api("/api/cases/" + encodeURIComponent(caseId));
  const can = new Set(me.permissions);
  const side = el("aside", { class: "side" },
    el("h2", {}, `${c.case_id}`, el("br"), bi(c.pattern_name[0], c.pattern_name[1])),
    c.merged_into ? el("p", { class: "bad", id: "merged-into" }, "已并入 merged into ", el("a", { href: "#/case/" + c.merged_into }, c.merged_into)) : "",
    el("table", { class: "summary" }, c.summary.map(([zh, en, v]) => el("tr", {}, el("th", {}, bi(zh, en)), el("td", {}, v)))),
    el("h3", {}, bi("为何可疑", "Why")), el("p", { class: "why" }, c.explanation_zh), el("p", { class: "why en" }, c.explanation_en),
    workflowPanel(c, can),
    el("h3", {}, bi("成员金额", "Money by member")), el("div", { id: "money" }),
    el("h3", {}, bi("药品与项目", "Drugs and items behind the claims")), itemsTable(c.graph.items));
  main.replaceChildren(el("div", { class: "case-layout" }, side, workArea([], bi("证据单据", "Evidence claims"))));
  drawView(c.graph, "/api/cases/" + encodeURIComponent(caseId));
  view.caseId = c.case_id;
  view.caseMembers = c.members.map((m) => m.id);
  showSelection();
}

// the graph panel, the selection and the claims table of a case or of a tip; `extra` goes
// between the graph and the claims
function workArea(extra, claimsTitle) {
  return el("div", { class: "work" }, graphPanel(), el("div", { id: "selection", class: "selection" }), ...extra,
    el("h3", {}, claimsTitle), el("div", { id: "evidence-count", class: "muted" }), el("div", { class: "scroll" }, el("table", { class: "grid small", id: "evidence" })));
}

// mount a fresh graph on #graph and draw the first nodes, edges and claims into every panel
function drawView(data, path) {
  mountGraph($("#graph"));
  mergeGraph(data, null, path);
  wireFilters();
  wireTimebar();
  refreshVisibility();
  moneyByMember($("#money"));
  view.renderer.refresh();
}

function itemsTable(items) {
  if (!items?.length) return el("p", { class: "muted" }, "无明细 no item lines");
  return el("table", { class: "grid small", id: "items" },
    el("thead", {}, el("tr", {}, ["类别 kind", "编码 code", "名称 name", "单据 claims", "数量 qty", "金额 amount"].map((h) => el("th", {}, h)))),
    el("tbody", {}, items.slice(0, 30).map((i) => el("tr", {}, el("td", {}, i.item_kind), el("td", {}, i.item_code), el("td", {}, i.item_name || ""), el("td", { class: "num" }, String(i.claims)), el("td", { class: "num" }, String(i.quantity ?? "")), el("td", { class: "num" }, money(i.amount))))));
}

function workflowPanel(c, can) {
  const box = el("div", { class: "workflow" }, el("h3", {}, bi("办案流程", "Workflow")),
    el("div", {}, `状态 status: `, el("b", { id: "case-status" }, `${STATUSES[c.status]} ${c.status}`), " · 承办人 assignee: ", el("b", { id: "case-assignee" }, c.assignee || "—")));
  if (can.has("work")) {
    const status = select("status", "", [["", "（仅添加备注 note only）"], ...NEXT[c.status].map((s) => [s, `${STATUSES[s]} ${s}`])]);
    status.id = "status-select";
    const note = el("textarea", { id: "status-note", rows: 2, placeholder: "备注 note" });
    box.append(status, note, el("button", { id: "status-save", onclick: async () => {
      try {
        await api(`/api/cases/${c.case_id}/status`, { body: { status: status.value || c.status, note: note.value } });
        flash("已保存 saved");
        showCase(c.case_id);
      } catch (err) { flash(err.message, true); }
    } }, "保存 save"));
  }
  if (can.has("work") && !c.merged_into) {
    const other = el("input", { id: "merge-other", placeholder: "案件号 case id", size: 12 });
    box.append(el("div", {}, other, el("button", { id: "merge", onclick: async () => {
      try {
        const r = await api(`/api/cases/${c.case_id}/merge`, { body: { other: other.value.trim() } });
        flash(`已并入 merged ${other.value.trim()} → ${r.case_id}（${r.members} 个成员 members）`);
        showCase(c.case_id);
      } catch (err) { flash(err.message, true); }
    } }, "并入本案 merge into this case")));
  }
  if (can.has("assign")) {
    const who = el("select", { id: "assignee-select" }, el("option", { value: "" }, "（无 nobody）"));
    api("/api/users").then((d) => d.users.forEach((u) => who.append(el("option", { value: u.name, ...(u.name === c.assignee ? { selected: "" } : {}) }, `${u.name} (${u.role})`))));
    box.append(el("div", {}, who, el("button", { id: "assign-save", onclick: async () => {
      try { await api(`/api/cases/${c.case_id}/assign`, { body: { assignee: who.value } }); showCase(c.case_id); } catch (err) { flash(err.message, true); }
    } }, "分派 assign")));
  }
  if (can.has("export")) {
    box.append(el("div", {}, el("button", { id: "export", onclick: async () => {
      try {
        const r = await api(`/api/cases/${c.case_id}/export`, { body: {} });
        $("#export-result").replaceChildren("清单指纹 manifest SHA-256: ", el("code", {}, r.fingerprint), " ", el("a", { href: r.download, id: "download" }, "下载证据包 download package"));
      } catch (err) { flash(err.message, true); }
    } }, "导出证据包 export evidence package"), el("div", { id: "export-result" })));
  }
  if (can.has("reveal")) {
    box.append(el("button", { id: "reveal", onclick: async () => {
      try {
        const r = await api(`/api/cases/${c.case_id}/reveal`, { body: {} });
        for (const [id, clear] of Object.entries(r.clear)) if (view.graph.hasNode(id)) view.graph.setNodeAttribute(id, "label", clear);
        view.renderer.refresh();
        flash("已还原身份（已记入审计日志） identities revealed (audited)");
      } catch (err) { flash(err.message, true); }
    } }, "还原身份 reveal identities"));
  }
  box.append(el("h4", {}, bi("记录", "History")), el("ul", { id: "history" },
    c.history.map((e) => el("li", {}, `${(e.event_time || "").replace("T", " ").slice(0, 19)} ${e.author ? e.author + " " : ""}${e.kind}${e.to_status ? ": " + (e.from_status || "") + " → " + e.to_status : ""}${e.note ? " · " + e.note : ""}`)),
    c.assignments.map((a) => el("li", {}, `${(a.at || "").replace("T", " ").slice(0, 19)} ${a.by} assigned → ${a.assignee || "—"}`))));
  return box;
}

// -- exploring from a tip -------------------------------------------------------------------
async function showEntity(entity) {
  leaveGraph();
  const main = $("#main");
  main.replaceChildren(el("h2", {}, bi("线索探查", "Exploring from a tip"), ": ", entity),
    workArea([el("h3", {}, bi("成员金额", "Money by entity")), el("div", { id: "money", "data-all": "1" })], bi("证据单据", "Claims")));
  const path = `/api/entities/${encodeURIComponent(entity)}/neighbours?hops=1`;
  const data = await api(path);
  if (!data.nodes.length) { flash("没有找到单据 no claims found for " + entity, true); return; }
  drawView(data, path);
  showSelection();
  if (data.focus) selectNode(data.focus, false);
}

// -- shell ------------------------------------------------------------------------------------
async function route() {
  const hash = location.hash || "#/";
  try {
    if (hash.startsWith("#/case/")) await showCase(decodeURIComponent(hash.slice(7)));
    else if (hash.startsWith("#/entity/")) await showEntity(decodeURIComponent(hash.slice(9)));
    else await showQueue();
  } catch (err) {
    if (err.message !== "login") flash(err.message, true);
  }
}

async function start() {
  me = await api("/api/session");
  $("#who").textContent = `${me.user}（${me.role}）`;
  $("#logout").addEventListener("click", async () => { await api("/api/logout", { body: {} }); location.href = "/login"; });
  $("#explore-form").addEventListener("submit", (e) => { e.preventDefault(); const v = e.target.elements.entity.value.trim(); if (v) location.hash = "#/entity/" + encodeURIComponent(v); });
  window.addEventListener("hashchange", route);
  await route();
}

if (document.body.dataset.page === "login") {
  $("#login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const response = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: e.target.elements.name.value, password: e.target.elements.password.value }) });
    if (response.ok) location.href = "/";
    else $("#login-error").textContent = (await response.json()).error;
  });
} else {
  start();
}
