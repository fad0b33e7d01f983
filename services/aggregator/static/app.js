// FAAS dashboard: polls the aggregator's JSON API and draws it. No build step.
"use strict";

const POLL_MS = 2000;
const TIMELINE_MS = 10000;
const STALE_AFTER_MS = 10000;   // no successful update for this long: say the data is stale
const FRAME_LATE_MS = 30000;    // a camera "up" without a frame for this long is flagged too
const ATTRIBUTES = ["gender", "age", "emotion", "race"];

const params = new URLSearchParams(location.search);
const state = {
  camera: params.get("camera") || "all",
  window: params.get("window") || "5m",
  lastOk: 0,
  minSample: 20,
  charts: {},
};

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== "") node.textContent = text;
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function barChart(canvas, horizontal) {
  return new Chart(canvas, {
    type: "bar",
    data: { labels: [], datasets: [{ data: [], backgroundColor: "#4e79a7" }] },
    options: {
      animation: false, indexAxis: horizontal ? "y" : "x", responsive: true,
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true }, y: { beginAtZero: true } },
    },
  });
}

function setWindowButtons(windows) {
  const box = document.getElementById("windows");
  if (box.childElementCount === windows.length) return;
  box.replaceChildren(...windows.map((w) => {
    const button = el("button", { type: "button", "data-window": w }, w);
    button.addEventListener("click", () => { state.window = w; refresh(); });
    return button;
  }));
}

function setCameraOptions(cameras) {
  const select = document.getElementById("camera");
  const wanted = ["all", ...cameras.map((c) => c.id)];
  const have = [...select.options].map((o) => o.value);
  if (wanted.join() !== have.join()) {
    select.replaceChildren(...wanted.map((id) =>
      el("option", { value: id }, id === "all" ? "All cameras" : id)));
  }
  select.value = state.camera;
}

function renderAttribute(section, name, shares) {
  const n = shares ? shares.n : 0;
  const values = shares ? Object.entries(shares.values) : [];
  const tooFew = n < state.minSample;
  section.classList.toggle("too-few", tooFew && n > 0);
  section.classList.toggle("empty", n === 0);
  section.hidden = name === "race" && values.length === 0;  // race only where enabled
  section.querySelector(".sample").textContent = n === 0 ? "no faces in this window"
    : tooFew ? `too few: n = ${n} (fewer than ${state.minSample} faces)` : `n = ${n}`;
  const rows = values.map(([value, entry]) => {
    const row = el("tr", { "data-value": value });
    row.append(el("td", {}, value), el("td", { class: "count" }, String(entry.count)),
               el("td", { class: "share" }, `${(100 * entry.share).toFixed(1)}%`));
    return row;
  });
  section.querySelector("table.shares").replaceChildren(...rows);
  const chart = state.charts[name] ||= barChart(section.querySelector("canvas"), name !== "age");
  chart.data.labels = values.map(([value]) => value);
  chart.data.datasets[0].data = values.map(([, entry]) => entry.count);
  chart.data.datasets[0].backgroundColor = tooFew ? "#b8bfcc" : "#4e79a7";
  chart.update();
}

function renderStats(stats) {
  document.getElementById("faces-count").textContent = String(stats.faces);
  document.getElementById("faces-window").textContent =
    `${state.camera === "all" ? "all cameras" : state.camera}, last ${state.window}`;
  for (const name of ATTRIBUTES) {
    renderAttribute(document.querySelector(`[data-attribute="${name}"]`), name, stats.attributes[name]);
  }
}

function age(ms, now) {
  if (!ms) return "never";
  const seconds = Math.max(0, Math.round((now - Number(ms)) / 1000));
  return seconds < 90 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
}

function renderStatus(status) {
  const now = status.now_ms;
  const banners = [];
  const rows = status.cameras.map((camera) => {
    const s = camera.state || {};
    const cameraStatus = camera.enabled ? (s.status || "connecting") : "disabled";
    if (cameraStatus === "down" || cameraStatus === "stalled") {
      banners.push(["down", `Camera ${camera.id} is ${cameraStatus}: ${s.last_error || "no detail"}`]);
    } else if (cameraStatus === "up" && now - Number(s.last_frame_ms || 0) > FRAME_LATE_MS) {
      banners.push(["stale", `Camera ${camera.id} has sent no frame for ${age(s.last_frame_ms, now)}`]);
    }
    const row = el("tr", { "data-camera": camera.id });
    row.append(el("td", {}, camera.id), el("td", { class: `status-${cameraStatus}` }, cameraStatus),
               el("td", { class: "num" }, s.fps || "–"), el("td", {}, age(s.last_frame_ms, now)));
    return row;
  });
  document.querySelector("#cameras tbody").replaceChildren(...rows);
  const stages = Object.entries(status.stages).map(([stage, info]) => {
    const row = el("tr", { "data-stage": stage });
    row.append(el("td", {}, stage), el("td", { class: "num" }, String(info.consumers.length)),
               el("td", { class: "num" }, String(info.processed)),
               el("td", { class: "num" }, info.lag === null ? "–" : String(info.lag)));
    if (info.consumers.length === 0) banners.push(["down", `No ${stage} process is running`]);
    return row;
  });
  document.querySelector("#pipeline tbody").replaceChildren(...stages);
  document.getElementById("dead-letters").textContent = `dead letters: ${status.dead_letters}`;
  return banners;
}

function showBanners(banners) {
  document.getElementById("banners").replaceChildren(
    ...banners.map(([kind, text]) => el("div", { class: kind, role: "alert" }, text)));
}

async function refresh() {
  for (const b of document.querySelectorAll("#windows button")) {
    b.classList.toggle("active", b.dataset.window === state.window);
  }
  const query = `camera=${encodeURIComponent(state.camera)}&window=${state.window}`;
  history.replaceState(null, "", `?${query}`);
  let banners = [];
  try {
    const [stats, status] = await Promise.all([getJson(`/api/stats?${query}`), getJson("/api/status")]);
    state.minSample = status.min_sample;
    setWindowButtons(status.windows);
    setCameraOptions(status.cameras);
    renderStats(stats);
    banners = renderStatus(status);
    state.lastOk = Date.now();
    document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    console.error(error);
  }
  if (Date.now() - state.lastOk > STALE_AFTER_MS) {
    banners.unshift(["stale", state.lastOk ? `Data is stale: last update ${new Date(state.lastOk).toLocaleTimeString()}, the API does not answer`
                                           : "No data yet: the API does not answer"]);
  }
  showBanners(banners);
}

async function refreshTimeline() {
  try {
    const data = await getJson(`/api/timeline?camera=${encodeURIComponent(state.camera)}&window=1h&step=1m`);
    const chart = state.charts.timeline ||= new Chart(document.getElementById("timeline"), {
      type: "line",
      data: { labels: [], datasets: [{ data: [], borderColor: "#4e79a7", fill: true, tension: 0.2 }] },
      options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
    });
    chart.data.labels = data.buckets.map((b) => new Date(b.start_ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    chart.data.datasets[0].data = data.buckets.map((b) => b.faces);
    chart.update();
  } catch (error) {
    console.error(error);
  }
}

document.getElementById("camera").addEventListener("change", (event) => {
  state.camera = event.target.value;
  refresh();
  refreshTimeline();
});
refresh();
refreshTimeline();
setInterval(refresh, POLL_MS);
setInterval(refreshTimeline, TIMELINE_MS);
