// counselsim practice page: plain JS, no build step. Every text from the server is set with
// textContent (never as HTML). The client's reply arrives as Server-Sent Events over fetch.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_TURN = 500;
const state = { token: "", personas: [], session: null, busy: false, saveTimer: null };

function initToken() {
  const url = new URL(location.href);
  const given = url.searchParams.get("token");
  if (given) {
    sessionStorage.setItem("practice-token", given);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  state.token = sessionStorage.getItem("practice-token") || "";
}

function headers(json) {
  const h = json ? { "Content-Type": "application/json" } : {};
  if (state.token) h.Authorization = "Bearer " + state.token;
  return h;
}

async function api(path, method = "GET", body) {
  const resp = await fetch(path, {
    method, headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(data.error || resp.statusText);
  return data;
}

// POST (or GET) a request whose answer is a stream of events; onEvent(type, data) for each.
async function stream(path, method, body, onEvent) {
  const resp = await fetch(path, {
    method, headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!resp.ok) {
    const data = await resp.json().catch(() => ({}));
    throw new Error(data.error || resp.statusText);
  }
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const line = frame.split("\n").find((l) => l.startsWith("data: "));
      if (line) {
        const data = JSON.parse(line.slice(6));
        onEvent(data.type, data);
      }
    }
  }
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

// --- personas and sessions -----------------------------------------------------------------

function fillFilter(select, values) {
  for (const v of [...new Set(values)].sort()) select.append(new Option(v, v));
}

function renderPersonas() {
  const want = { language: $("f-language").value, kind: $("f-kind").value, difficulty: $("f-difficulty").value };
  const list = $("personas");
  list.replaceChildren();
  for (const p of state.personas) {
    if (Object.entries(want).some(([k, v]) => v && p[k] !== v)) continue;
    const card = el("li", undefined, "card");
    card.dataset.persona = p.id;
    card.append(el("strong", `${p.kind} (${p.language})`), el("span", p.difficulty, "badge " + p.difficulty));
    card.append(el("p", [p.age_range, p.gender, p.occupation].filter(Boolean).join(", "), "muted"));
    const start = el("button", "Start");
    start.type = "button";
    start.addEventListener("click", () => startSession(p.id));
    card.append(start);
    list.append(card);
  }
}

async function loadPersonas() {
  state.personas = await api("/api/personas");
  fillFilter($("f-language"), state.personas.map((p) => p.language));
  fillFilter($("f-kind"), state.personas.map((p) => p.kind));
  fillFilter($("f-difficulty"), state.personas.map((p) => p.difficulty));
  for (const id of ["f-language", "f-kind", "f-difficulty"]) $(id).addEventListener("change", renderPersonas);
  renderPersonas();
}

async function loadSessions() {
  const list = $("sessions");
  list.replaceChildren();
  for (const s of await api("/api/sessions")) {
    const item = el("li");
    const link = el("a", `${s.persona_id}, session ${s.session_index}: ${s.status.replace("_", " ")} (${s.turns} turns)`);
    link.href = "#s=" + encodeURIComponent(s.id);
    item.append(link);
    list.append(item);
  }
}

async function startSession(personaId, session) {
  try {
    const view = await api("/api/sessions", "POST", session ? { persona: personaId, session } : { persona: personaId });
    location.hash = "s=" + encodeURIComponent(view.id);
  } catch (err) {
    showStatus(err.message);
  }
}

// --- the session ---------------------------------------------------------------------------

function sessionPath(suffix = "") {
  return "/api/sessions/" + encodeURIComponent(state.session.id) + suffix;
}

function showStatus(text) { $("status").textContent = text || ""; }

function addTurn(turn) {
  const list = $("transcript");
  let item = list.querySelector(`[data-index="${turn.index}"]`);
  if (!item) {
    item = el("li", undefined, "turn " + turn.role);
    item.dataset.index = turn.index;
    list.append(item);
  }
  item.classList.remove("streaming");
  item.textContent = turn.text;
  item.scrollIntoView({ block: "end" });
}

function streamingBubble() {
  let item = $("transcript").querySelector("li.streaming");
  if (!item) {
    item = el("li", "", "turn client streaming");
    item.dataset.chunks = "0";
    $("transcript").append(item);
  }
  return item;
}

function showAlert(alert) {
  $("alert").hidden = !alert;
  if (!alert) return;
  $("alert-text").textContent = alert.text;
  $("alert-quote").textContent = alert.quote;
  $("alert-protocol").replaceChildren(...alert.protocol.map((s) => el("li", s)));
  $("alert-resources").textContent = alert.resources.join(" · ");
}

function showHints(hints) {
  $("hints").replaceChildren(...hints.map((h) => el("li", h.text, "hint " + h.kind)));
}

function setBusy(busy) {
  state.busy = busy;
  for (const id of ["send", "end", "say-text"]) $(id).disabled = busy;
}

function onEvent(type, data) {
  if (type === "turn") addTurn(data.turn);
  else if (type === "token") {
    const item = streamingBubble();
    item.textContent += data.text;
    item.dataset.chunks = String(Number(item.dataset.chunks) + 1);
    item.scrollIntoView({ block: "end" });
  } else if (type === "reset") {
    const item = streamingBubble();
    item.textContent = "";
    showStatus("The client starts the reply again...");
  } else if (type === "reply") {
    const item = $("transcript").querySelector("li.streaming");
    if (item) { item.dataset.index = data.turn.index; }
    addTurn(data.turn);
    showStatus("");
  } else if (type === "hint") showHints(data.hints);
  else if (type === "alert") showAlert(data.alert);
  else if (type === "error") {
    $("error").hidden = false;
    $("error-text").textContent = data.message;
    $("retry").hidden = !data.retry;
    const item = $("transcript").querySelector("li.streaming");
    if (item) item.remove();
  } else if (type === "done") {
    state.session.status = data.status;
  }
}

async function runStream(suffix, method, body) {
  setBusy(true);
  $("error").hidden = true;
  try {
    await stream(sessionPath(suffix), method, body, onEvent);
  } catch (err) {
    showStatus(err.message);
  } finally {
    setBusy(false);
  }
  if (state.session.status === "ended") {
    showStatus("");
    showHints([]);
    await showDebrief();
  }
  else if (state.session.status === "client_pending") showStatus("The client has not answered yet: retry.");
  loadSessions();
}

async function send(event) {
  event.preventDefault();
  if (state.busy) return;
  const text = $("say-text").value;
  const seen = $("transcript").querySelectorAll("li.turn:not(.streaming)").length;
  showHints([]);
  try {
    await runStream("/turns", "POST", { text, seen, hints: $("hints-on").checked });
    if (state.session.status === "awaiting_trainee" && $("error").hidden) $("say-text").value = "";
  } finally {
    updateCounter();
  }
}

async function endSession() {
  if (state.busy || !confirm("End the session and read the debrief?")) return;
  showStatus("Writing the session notes, scores and debrief...");
  await runStream("/end", "POST", { closing: "", formulation: readFormulation() });
}

function updateCounter() {
  const n = $("say-text").value.trim().length;
  $("counter").textContent = `${n}/${MAX_TURN}`;
  $("counter").classList.toggle("over", n > MAX_TURN);
}

// --- formulation ---------------------------------------------------------------------------

function readFormulation() {
  const out = {};
  for (const area of $("formulation").querySelectorAll("textarea")) out[area.name] = area.value;
  out.risk = [...$("risk").querySelectorAll("input:checked")].map((i) => i.value);
  return out;
}

function scheduleSave() {
  clearTimeout(state.saveTimer);
  state.saveTimer = setTimeout(async () => {
    try {
      await api(sessionPath("/formulation"), "PUT", readFormulation());
      $("saved").textContent = "saved";
    } catch (err) {
      $("saved").textContent = err.message;
    }
  }, 600);
}

// --- the debrief ---------------------------------------------------------------------------

function row(...cells) {
  const tr = el("tr");
  for (const cell of cells) {
    const td = el("td");
    if (cell instanceof Node) td.append(cell);
    else td.textContent = String(cell);
    tr.append(td);
  }
  return tr;
}

function lockFormulation(locked) {
  for (const field of $("formulation").querySelectorAll("textarea, input")) field.disabled = locked;
}

async function showDebrief() {
  const d = await api(sessionPath("/debrief"));
  $("debrief").hidden = false;
  $("say").hidden = true;
  lockFormulation(true);  // the profile's is shown now: the draft is final
  $("judge-note").textContent = d.judge.note;
  $("scores").tBodies[0].replaceChildren(...(d.scores.scores.length
    ? d.scores.scores.map((s) => row(s.dimension, `${s.score}/${s.max}`, s.rationale))
    : [row("not scored", "", d.scores.error || "")]));
  const c = d.checks;
  $("checks").replaceChildren(
    el("li", `Risk cues from the client: ${c.risk_cues.length}; missed (no risk question within two of your turns): ${c.missed_crisis}`),
    el("li", `Open questions: ${c.open_questions}; closed questions: ${c.closed_questions}`),
    el("li", `Advice before exploration: ${c.advice_before_exploration.length}`),
    el("li", `Checks by: ${c.source}`, "muted"),
  );
  $("facts").tBodies[0].replaceChildren(...d.hidden_facts.map((h) => row(h.content, h.offered ? "yes" : "no", h.uncovered ? "yes" : "no")));
  $("compare").tBodies[0].replaceChildren(...d.formulation.map((f) => {
    const refs = el("ul", undefined, "plain");
    f.reference.forEach((r, i) => refs.append(el("li", (f.matched[i] ? "✓ " : "✗ ") + r, f.matched[i] ? "found" : "missing")));
    return row(f.field.replace(/_/g, " "), f.yours || "—", refs);
  }));
  const total = Object.values(d.strategy_mix).reduce((a, b) => a + b, 0) || 1;
  $("mix").replaceChildren(...Object.entries(d.strategy_mix).map(([k, v]) => {
    const li = el("li", `${k}: ${v}`);
    li.style.setProperty("--share", `${Math.round((100 * v) / total)}%`);
    return li;
  }));
  const q = state.token ? "?token=" + encodeURIComponent(state.token) : "";
  $("dl-jsonl").href = sessionPath("/transcript.jsonl") + q;
  $("dl-md").href = sessionPath("/transcript.md") + q;
}

// --- opening a session (a click, a reload, a second tab) -----------------------------------

async function openSession(id) {
  state.session = await api("/api/sessions/" + encodeURIComponent(id));
  const s = state.session;
  $("room").hidden = false;
  $("formulation").hidden = false;
  $("debrief").hidden = true;
  $("say").hidden = false;
  lockFormulation(false);
  $("hints-on").checked = s.hints_on;
  $("session-title").textContent = `Session ${s.session_index} with a client: ${s.persona.kind} (${s.persona.language}, ${s.persona.difficulty})`;
  $("transcript").replaceChildren();
  s.turns.forEach(addTurn);
  showAlert(s.alert);
  showHints([]);
  $("error").hidden = true;
  const draft = await api("/api/sessions/" + encodeURIComponent(id) + "/formulation").catch(() => null);
  if (draft) writeFormulation(draft);
  if (s.busy) await runStream("/stream", "GET");
  else if (s.status === "client_pending" || s.status === "ending") await runStream("/retry", "POST");
  else if (s.status === "ended") await showDebrief();
}

function writeFormulation(f) {
  for (const area of $("formulation").querySelectorAll("textarea")) area.value = f[area.name] || "";
  for (const box of $("risk").querySelectorAll("input")) box.checked = (f.risk || []).includes(box.value);
}

async function route() {
  const m = location.hash.match(/^#s=(.+)$/);
  if (!m) return;
  try {
    await openSession(decodeURIComponent(m[1]));
  } catch (err) {
    showStatus(err.message);
  }
}

async function main() {
  initToken();
  $("say").addEventListener("submit", send);
  $("say-text").addEventListener("input", updateCounter);
  $("say-text").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("say").requestSubmit(); } });
  $("end").addEventListener("click", endSession);
  $("retry").addEventListener("click", () => runStream("/retry", "POST"));
  $("next").addEventListener("click", () => startSession(state.session.persona.id, state.session.session_index + 1));
  $("formulation").addEventListener("input", scheduleSave);
  window.addEventListener("hashchange", route);
  updateCounter();
  try {
    await Promise.all([loadPersonas(), loadSessions()]);
  } catch (err) {
    showStatus(err.message);
  }
  await route();
}

main();
