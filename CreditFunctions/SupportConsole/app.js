// The support console's page: talks only to /api/console-api/ on its own origin (the platform's sign-in cookie, never a
// function key). Every value is put on the page as text, never as HTML.
"use strict";

const api = "/api/console-api/";
const state = { lookup: 0, customerId: null, credits: null, next: null, entries: [], chart: null, loadingOlder: false, pending: null, granting: false };
const $ = (id) => document.getElementById(id);

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  return td;
}

function when(iso) {
  return iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, "") : "";
}

function signed(n) {
  return (n > 0 ? "+" : n < 0 ? "\u2212" : "") + Math.abs(n).toLocaleString("en-US");
}

async function call(path, init) {
  const response = await fetch(api + path, { credentials: "same-origin", ...init, headers: { Accept: "application/json", ...(init && init.headers) } });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401 && body && body.signInUrl) {
    window.location.assign(body.signInUrl);
  }
  return { status: response.status, body };
}

function problemText(answer) {
  const b = answer.body || {};
  const fields = b.errors ? " " + Object.values(b.errors).flat().join(" ") : "";
  return `${b.title || "Failed"} (${answer.status}): ${b.detail || ""}${fields}`;
}

async function whoAmI() {
  const me = await call("me");
  const note = $("identity");
  if (me.status !== 200) {
    note.textContent = problemText(me);
    note.className = "banner error";
    return;
  }
  if (me.body.mode === "open") {
    note.textContent = `Open: running locally (Development), so anyone who can reach this host can use the console. In Azure only people signed in with the app role ${me.body.role} can.`;
    note.className = "banner";
  } else {
    note.textContent = `Signed in as ${me.body.principal} (${me.body.role}). `;
    const out = document.createElement("a");
    out.href = "/.auth/logout";
    out.textContent = "Sign out";
    note.append(out);
  }
}

function showBuckets(credits) {
  $("available").textContent = credits.available.toLocaleString("en-US");
  $("held").textContent = (credits.held || 0).toLocaleString("en-US");
  $("as-of").textContent = when(credits.asOf);
  const body = $("buckets").tBodies[0];
  body.replaceChildren();
  for (const b of credits.buckets) {
    const row = body.insertRow();
    cell(row, b.id);
    cell(row, b.kind);
    cell(row, b.remaining.toLocaleString("en-US"), "number");
    cell(row, b.kind === "plan" ? (b.nextResetAt ? `resets ${when(b.nextResetAt)}` : "no reset due") : (b.expiresAt ? `expires ${when(b.expiresAt)}` : "never expires"));
    cell(row, b.kind === "plan" ? `${b.subscriptionId}, ${b.allowance} a month` : `${b.reason || ""} (granted ${b.granted})`);
  }
}

function addLedger(entries, dashboardLinks) {
  const body = $("ledger").tBodies[0];
  for (const item of entries) {
    const e = item.entry;
    const row = body.insertRow();
    row.dataset.sequence = e.sequence;
    cell(row, e.sequence, "number");
    cell(row, when(e.at));
    cell(row, e.kind);
    cell(row, e.kind === "overage" ? `${signed(e.amount)} (overage ${e.overage})` : signed(e.amount), "number");
    cell(row, e.balanceAfter.toLocaleString("en-US"), "number");
    cell(row, item.explanation);
    const links = cell(row, "");
    for (const link of item.links) {
      const a = document.createElement("a");
      a.href = link.url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = link.label;
      a.setAttribute("aria-label", `${link.label} in the Stripe Dashboard (opens in a new tab)`);
      links.append(a, " ");
    }
  }
  state.entries.push(...entries.map((i) => i.entry));
  $("older").hidden = !state.next;
}

function drawChart(credits) {
  // In time order, and entries of one instant in their ledger order: the last of them is what was available after.
  const points = [...state.entries].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.sequence - b.sequence)
    .map((e) => ({ x: Date.parse(e.at), y: e.balanceAfter }));
  points.push({ x: Date.parse(credits.asOf), y: credits.available });
  $("chart-summary").textContent = `${points.length} points from ${state.entries.length} ledger entries; available now ${credits.available.toLocaleString("en-US")}.`;
  if (typeof Chart === "undefined") return;
  if (state.chart) state.chart.destroy();
  state.chart = new Chart($("chart"), {
    type: "line",
    data: { datasets: [{ label: "Available credits", data: points, stepped: "before", borderColor: "#1f6feb", backgroundColor: "rgba(31,111,235,.12)", fill: true, pointRadius: 2 }] },
    options: {
      animation: false, maintainAspectRatio: false, parsing: false,
      scales: {
        x: { type: "linear", ticks: { callback: (v) => new Date(v).toISOString().slice(0, 16).replace("T", " ") } },
        y: { beginAtZero: true },
      },
      plugins: { tooltip: { callbacks: { title: (items) => new Date(items[0].parsed.x).toISOString().replace("T", " ").slice(0, 19) } } },
    },
  });
}

async function lookUp(customerId) {
  // Each look-up (and each older page) belongs to the look-up that asked for it: an answer that arrives after a later
  // look-up began is dropped, so nothing of one customer ever lands under another (or twice under the same one).
  const lookup = ++state.lookup;
  $("status").textContent = `Looking up ${customerId}…`;
  const answer = await call(`customers/${encodeURIComponent(customerId)}`);
  if (lookup !== state.lookup) return;
  if (answer.status !== 200) {
    $("customer").hidden = true;
    $("status").textContent = problemText(answer);
    return;
  }
  if (state.pending && state.pending.customerId !== customerId) {
    $("grant-status").textContent = `A grant to ${state.pending.customerId} was not confirmed: look ${state.pending.customerId} up and check its ledger before granting again.`;
    unlockGrant();
  }
  state.customerId = customerId;
  state.credits = answer.body.credits;
  state.entries = [];
  state.next = answer.body.ledger.continuationToken;
  $("ledger").tBodies[0].replaceChildren();
  $("customer-title").textContent = `Customer ${customerId}`;
  $("stripe-customer").href = answer.body.stripeCustomer;
  showBuckets(answer.body.credits);
  addLedger(answer.body.ledger.entries);
  $("customer").hidden = false;
  drawChart(answer.body.credits);
  $("status").textContent = `${customerId}: ${answer.body.credits.available} available.`;
}

async function older() {
  if (state.loadingOlder || !state.next) return; // one page at a time
  const customerId = state.customerId;
  const lookup = state.lookup;
  state.loadingOlder = true;
  $("older").disabled = true;
  try {
    const answer = await call(`customers/${encodeURIComponent(customerId)}/ledger?continuationToken=${encodeURIComponent(state.next)}`);
    if (lookup !== state.lookup) return; // looked up again meanwhile (this customer or another): this page is not the one shown
    if (answer.status !== 200) {
      $("status").textContent = problemText(answer);
      return;
    }
    state.next = answer.body.continuationToken;
    addLedger(answer.body.entries);
    drawChart(state.credits);
    if (!state.next) $("ledger").focus(); // the button is gone: keep the keyboard in the ledger
  } finally {
    state.loadingOlder = false;
    $("older").disabled = false;
  }
}

const grantFields = { amount: "grant-amount", reason: "grant-reason", expiresAt: "grant-expires" };

// Marks the fields a refusal names (aria-invalid, described by the status line) and puts the keyboard on the first.
function markRefused(names) {
  const refused = Object.entries(grantFields).filter(([name]) => names.includes(name)).map(([, id]) => $(id));
  for (const id of Object.values(grantFields)) {
    const field = $(id);
    if (refused.includes(field)) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", "grant-status");
    } else {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    }
  }
  if (refused.length > 0) refused[0].focus();
}

function unlockGrant() {
  state.pending = null;
  for (const id of Object.values(grantFields)) $(id).readOnly = false;
  $("grant-submit").textContent = "Grant";
}

async function grant(event) {
  event.preventDefault();
  if (state.granting) return; // one submission at a time: a double click sends it once, with one key
  const form = event.target;
  let pending = state.pending;
  if (!pending) {
    const raw = form.amount.value.trim();
    const amount = Number(raw);
    if (!/^-?[0-9]+$/.test(raw) || amount === 0 || !Number.isSafeInteger(amount)) {
      $("grant-status").textContent = "Credits must be a whole number other than 0, in digits (such as 250 or -30).";
      markRefused(["amount"]);
      return;
    }
    const body = { amount, reason: form.reason.value, idempotencyKey: `console-${crypto.randomUUID()}` };
    if (form.expiresAt.value.trim()) body.expiresAt = form.expiresAt.value.trim();
    pending = { customerId: state.customerId, body };
  }
  state.granting = true;
  $("grant-submit").disabled = true;
  $("grant-status").textContent = "Granting…";
  try {
    const answer = await call(`customers/${encodeURIComponent(pending.customerId)}/grants`, {
      method: "POST", headers: { "Content-Type": "application/json", "X-Credits-Console": "1" }, body: JSON.stringify(pending.body),
    });
    unlockGrant(); // answered: granted, or refused with nothing granted; either way the next submission is a new one
    const amount = pending.body.amount;
    markRefused(answer.status === 400 && answer.body && answer.body.errors ? Object.keys(answer.body.errors) : []);
    if (answer.status === 201) {
      form.reset();
      $("grant-status").textContent = `${amount > 0 ? "Granted" : "Took back"} ${Math.abs(amount)} credits (ledger entry ${answer.body.ledgerSequence}); available now ${answer.body.available}.`;
      await lookUp(pending.customerId);
    } else {
      $("grant-status").textContent = problemText(answer);
    }
  } catch (failure) {
    // No answer: it may or may not have been granted. The same grant (same key) is the only thing that can be sent
    // next, so sending it again grants it at most once.
    state.pending = pending;
    for (const id of Object.values(grantFields)) $(id).readOnly = true;
    $("grant-submit").textContent = "Send the same grant again";
    $("grant-status").textContent = `No answer (${failure.message}): it may have been granted. Send the same grant again (same key: granted at most once), or look the customer up to check the ledger.`;
  } finally {
    state.granting = false;
    $("grant-submit").disabled = false;
  }
}

async function runs() {
  const answer = await call("runs");
  const body = $("runs").tBodies[0];
  body.replaceChildren();
  if (answer.status !== 200) {
    cell(body.insertRow(), problemText(answer));
    return;
  }
  for (const r of answer.body.runs) {
    const row = body.insertRow();
    cell(row, when(r.asOf));
    cell(row, `${r.trigger}${r.dryRun ? " (dry run)" : ""}${r.aborted ? " aborted" : ""}`);
    cell(row, r.counts.examined, "number");
    cell(row, r.counts.reset, "number");
    cell(row, r.counts.skipped, "number");
    cell(row, r.counts.failed, "number");
    const skips = Object.entries(r.counts.skippedByReason || {}).map(([reason, n]) => `${reason}: ${n}`);
    const failures = (r.failures || []).map((f) => `${f.subscriptionId} failed (${f.error})`);
    cell(row, [...failures, ...skips].join("; ") || "—");
  }
  if (answer.body.runs.length === 0) cell(body.insertRow(), "No runs this month or last.");
}

document.addEventListener("DOMContentLoaded", () => {
  $("find").addEventListener("submit", (event) => {
    event.preventDefault();
    lookUp($("customer-id").value.trim());
  });
  $("grant").addEventListener("submit", grant);
  $("older").addEventListener("click", older);
  whoAmI();
  runs();
  const fromLink = new URLSearchParams(window.location.search).get("customer");
  if (fromLink) {
    $("customer-id").value = fromLink;
    lookUp(fromLink);
  }
});
