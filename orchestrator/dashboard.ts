/**
 * The read-only dashboard, served at `/` only when the web app (web/, `npm run build`) has not
 * been built (see explorer-api.ts): one self-contained HTML document whose script polls the
 * public read endpoints (/v1/status, /v1/nodes, /v1/jobs, /v1/epochs, /v1/throughput) and
 * renders the ring tree, delegators with their work, tasks, epochs with gas and results, and
 * accepted proofs per minute. No build step and no external assets (the machines are offline).
 */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Concentric orchestrator</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1rem; margin: 1.5rem 0 .4rem; }
  table { border-collapse: collapse; min-width: 30rem; }
  th, td { text-align: left; padding: .2rem .8rem .2rem 0; border-bottom: 1px solid #e3e6ee; }
  code { font-size: 12px; }
  .muted { color: #6b7385; }
  .ok { color: #0a7d32; font-weight: 600; }
  .bad { color: #b3261e; font-weight: 600; }
  #tree ul { margin: .2rem 0; padding-left: 1.2rem; }
  #bars { display: flex; align-items: flex-end; gap: 2px; height: 80px; }
  #bars div { background: #4263eb; width: 10px; }
</style>
</head>
<body>
<h1>Concentric orchestrator</h1>
<div id="who" class="muted">loading…</div>
<h2>Ring tree</h2><div id="tree"></div>
<h2>Delegators</h2><table id="nodes"><thead><tr><th>address</th><th>name</th><th>role</th><th>accepted</th><th>rejected</th><th>last seen</th></tr></thead><tbody></tbody></table>
<h2>Tasks</h2><div id="tasks"></div>
<h2>Jobs</h2><table id="jobs"><thead><tr><th>job</th><th>epoch</th><th>status</th><th>chunks proven</th><th>note</th></tr></thead><tbody></tbody></table>
<h2>Epochs</h2><table id="epochs"><thead><tr><th>epoch</th><th>status</th><th>jobs</th><th>chunks</th><th>gas</th><th>transaction</th></tr></thead><tbody></tbody></table>
<h2>Throughput (accepted proofs per minute, last hour)</h2><div id="bars"></div><div id="rate" class="muted"></div>
<script>
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\\"":"&quot;","'":"&#39;"}[c]));
const short = (a) => a ? esc(a.slice(0, 10) + "…" + a.slice(-4)) : "";
const ago = (t) => t ? Math.max(0, Math.round((Date.now() - t) / 1000)) + " s ago" : "";
const rows = (id, list, f) => { document.querySelector("#" + id + " tbody").innerHTML = list.map(f).join(""); };
async function get(p) { const r = await fetch(p); if (!r.ok) throw new Error(p + ": " + r.status); return r.json(); }
async function refresh() {
  try {
    const [s, nodes, jobs, epochs, tp] = await Promise.all(["/v1/status", "/v1/nodes", "/v1/jobs", "/v1/epochs", "/v1/throughput"].map(get));
    document.getElementById("who").innerHTML = "<code>" + esc(s.address) + "</code> · chain " + esc(s.chainId) + " · circuit " + esc(s.circuit) + (s.parent ? " · parent " + esc(s.parent) : " · root") + " · up " + esc(s.uptimeSeconds) + " s";
    const kids = nodes.map((n) => "<li>" + esc(n.role) + " <code>" + short(n.address) + "</code> " + esc(n.name) + " — " + n.accepted + " proofs</li>").join("");
    document.getElementById("tree").innerHTML = "<ul><li>" + (s.parent ? "parent " + esc(s.parent) + "<ul><li>" : "") + "this orchestrator <code>" + short(s.address) + "</code><ul>" + kids + "</ul>" + (s.parent ? "</li></ul>" : "") + "</li></ul>";
    rows("nodes", nodes, (n) => "<tr><td><code>" + esc(n.address) + "</code></td><td>" + esc(n.name) + "</td><td>" + esc(n.role) + "</td><td>" + n.accepted + "</td><td" + (n.rejected ? ' class="bad"' : "") + ">" + n.rejected + "</td><td>" + ago(n.last_seen) + "</td></tr>");
    document.getElementById("tasks").textContent = Object.entries(s.tasks).map(([k, v]) => k + ": " + v).join(" · ") || "none yet";
    rows("jobs", jobs, (j) => "<tr><td>" + j.id + "</td><td>" + j.epoch + "</td><td>" + esc(j.status) + "</td><td>" + j.proven + " / " + j.chunks + "</td><td>" + esc(j.error) + "</td></tr>");
    rows("epochs", epochs, (e) => "<tr class=\\"epoch\\" data-status=\\"" + esc(e.status) + "\\"><td>" + e.epoch + "</td><td class=\\"" + (e.status === "submitted" ? "ok" : e.error ? "bad" : "") + "\\">" + (e.status === "submitted" ? "verified on chain" : esc(e.status) + (e.error ? ": " + esc(e.error) : "")) + "</td><td>" + e.jobs + "</td><td>" + e.chunks + "</td><td>" + esc(e.gas) + "</td><td><code>" + short(e.tx_hash) + "</code></td></tr>");
    const max = Math.max(1, ...tp.map((b) => b.proofs));
    document.getElementById("bars").innerHTML = tp.map((b) => "<div title=\\"" + new Date(b.minute).toISOString() + ": " + b.proofs + "\\" style=\\"height:" + Math.round(80 * b.proofs / max) + "px\\"></div>").join("");
    const total = tp.reduce((n, b) => n + b.proofs, 0);
    document.getElementById("rate").textContent = total + " proofs in the last hour";
  } catch (e) {
    document.getElementById("who").textContent = "cannot reach the orchestrator: " + e.message;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
}
