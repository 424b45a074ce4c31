#!/usr/bin/env node
// See CreditFunctions work locally without a Stripe account. With the app running (README, Quick start) this:
//   1. signs and posts a customer.subscription.created for a yearly plan (1,000 credits a month) whose next monthly
//      anniversary is about a minute away, built from Stripe's own published objects, with your local webhook secret;
//   2. posts it again (a redelivery: "duplicate"), and spends 300 credits through the credits API;
//   3. waits for the anniversary, then calls the manual reset as a dry run (a planned reset: 700 -> 1000), then for
//      real (the reset), and shows the customer's ledger with the reset record.
// Usage: node demo/demo.mjs [--base http://localhost:7071] [--settings CreditFunctions/local.settings.json]
//                           [--wait-seconds 75] [--key <function key, for a deployed app>]
//        node demo/demo.mjs --print [--now 2026-03-01T09:00:00Z] [--secret whsec_...] (the signed deliveries as JSON, no calls)
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const apiVersion = "2026-10-28.endive";
const creditsPerMonth = 1000;
const spend = 300;

function parseArguments(argv) {
  const options = { base: "http://localhost:7071", settings: join(root, "CreditFunctions", "local.settings.json"), waitSeconds: 75 };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${name} needs a value`);
      return argv[++i];
    };
    switch (name) {
      case "--base": options.base = value().replace(/\/+$/, ""); break;
      case "--settings": options.settings = value(); break;
      case "--secret": options.secret = value(); break;
      case "--key": options.key = value(); break;
      case "--now": options.now = new Date(value()); break;
      case "--wait-seconds": options.waitSeconds = Number(value()); break;
      case "--print": options.print = true; break;
      default: throw new Error(`unknown argument ${name}; see the usage at the top of demo/demo.mjs`);
    }
  }
  if (options.now && Number.isNaN(options.now.getTime())) throw new Error("--now must be an ISO 8601 time, e.g. 2026-03-01T09:00:00Z");
  if (!Number.isInteger(options.waitSeconds) || options.waitSeconds < 5 || options.waitSeconds > 3600) throw new Error("--wait-seconds must be a whole number from 5 to 3600");
  return options;
}

function webhookSecret(options) {
  if (options.secret) return options.secret;
  let settings;
  try {
    settings = JSON.parse(readFileSync(options.settings, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${options.settings} (${error.message}); copy local.settings.json.example there first, or pass --secret whsec_...`);
  }
  const secret = settings?.Values?.Stripe__WebhookSecret;
  if (!secret || !secret.startsWith("whsec_")) throw new Error(`${options.settings} has no Stripe__WebhookSecret (whsec_...)`);
  return secret;
}

// The app's rule for a month boundary: k months after the start, the day clamped to the month's end, time kept.
const daysIn = (year, month) => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
function addMonths(date, months) {
  const total = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(total / 12), month = total % 12;
  const day = Math.min(date.getUTCDate(), daysIn(year, month));
  return new Date(Date.UTC(year, month, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()));
}

// A yearly period whose boundary k falls exactly on the target (k = 1 unless the target's day is missing from the
// month before, e.g. Mar 30: then Jan 30, k = 2).
function periodStartFor(target) {
  for (let k = 1; k <= 11; k++) {
    const start = addMonths(target, -k);
    if (addMonths(start, k).getTime() === target.getTime()) return start;
  }
  throw new Error(`no yearly period start has a monthly boundary at ${target.toISOString()}`);
}

const unix = (date) => Math.floor(date.getTime() / 1000);
const suffix = () => randomBytes(5).toString("hex");

function fixtures() {
  const file = join(root, "CreditFunctions.Tests", "Stripe", "Fixtures", "fixtures3-excerpt.json");
  const resources = JSON.parse(readFileSync(file, "utf8")).resources;
  return (name) => structuredClone(resources[name]);
}

/**
 * The demo's subscription and its deliveries, signed at `now` with `secret`: Stripe's published event, subscription, item
 * and price with only ids, times, status, metadata and periods changed. Its next monthly anniversary is `waitSeconds` on.
 */
export function buildDemo(now, waitSeconds, secret, id = suffix()) {
  const fixture = fixtures();
  const anniversary = new Date(Math.ceil((now.getTime() + waitSeconds * 1000) / 1000) * 1000);
  const start = periodStartFor(anniversary);
  const end = addMonths(start, 12);
  const subscriptionId = `sub_Demo${id}`, customerId = `cus_Demo${id}`;

  const price = fixture("price");
  Object.assign(price, { id: `price_Demo${id}`, created: unix(start) - 86400, lookup_key: null, metadata: { credits_per_month: String(creditsPerMonth) } });
  price.recurring.interval = "year";
  price.recurring.usage_type = "licensed";

  const item = fixture("subscription_item");
  Object.assign(item, {
    id: `si_Demo${id}`, subscription: subscriptionId, created: unix(start), metadata: {},
    current_period_start: unix(start), current_period_end: unix(end), price,
  });

  const subscription = fixture("subscription");
  Object.assign(subscription, {
    id: subscriptionId, customer: customerId, status: "active", cancel_at_period_end: false, cancel_at: null,
    canceled_at: null, ended_at: null, trial_start: null, trial_end: null, pause_collection: null,
    next_pending_invoice_item_invoice: null, latest_invoice: `in_Demo${id}`, metadata: {},
    created: unix(start), start_date: unix(start), billing_cycle_anchor: unix(start),
  });
  subscription.items.data = [item];
  subscription.items.url = `/v1/subscription_items?subscription=${subscriptionId}`;

  const event = fixture("event");
  Object.assign(event, {
    id: `evt_Demo${id}`, type: "customer.subscription.created", created: unix(now), api_version: apiVersion,
    pending_webhooks: 1, request: { id: `req_Demo${id}`, idempotency_key: `demo-${id}` }, data: { object: subscription },
  });

  // Stripe's scheme: HMAC-SHA256 of "{timestamp}.{payload}" with the endpoint's secret, sent as t=...,v1=...
  const payload = JSON.stringify(event);
  const signature = createHmac("sha256", secret).update(`${unix(now)}.${payload}`, "utf8").digest("hex");
  const delivery = { type: event.type, payload, signature: `t=${unix(now)},v1=${signature}` };
  return {
    customerId, subscriptionId, creditsPerMonth, spend, periodStart: start.toISOString(), anniversary: anniversary.toISOString(),
    deliveries: [delivery, delivery],
  };
}

async function call(options, method, path, body, headers = {}) {
  const url = `${options.base}${path}`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...(options.key ? { "x-functions-key": options.key } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(`cannot reach ${url} (${error.cause?.code ?? error.message}): start Azurite and the app first (README, Quick start)`);
  }
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${typeof json === "string" ? json : JSON.stringify(json, null, 2)}`);
  return json;
}

const show = (title, value) => console.log(`\n== ${title}\n${typeof value === "string" ? value : JSON.stringify(value, null, 2)}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const secret = webhookSecret(options);
  const demo = buildDemo(options.now ?? new Date(), options.waitSeconds, secret);
  if (options.print) {
    console.log(JSON.stringify(demo, null, 2));
    return;
  }

  console.log(`Customer ${demo.customerId}, subscription ${demo.subscriptionId}: a yearly plan of ${creditsPerMonth} credits a month,`);
  console.log(`period started ${demo.periodStart}; its next monthly anniversary is ${demo.anniversary}.`);

  const [first, redelivery] = demo.deliveries;
  const created = await call(options, "POST", "/api/stripe/webhook", first.payload, { "Stripe-Signature": first.signature });
  show("1. customer.subscription.created: stored, first allowance granted", created);
  const again = await call(options, "POST", "/api/stripe/webhook", redelivery.payload, { "Stripe-Signature": redelivery.signature });
  show("2. The same event again (Stripe redelivers): nothing written", again);

  const spent = await call(options, "POST", `/api/customers/${demo.customerId}/credits/spend`, { amount: spend, idempotencyKey: `demo-spend-${demo.subscriptionId}`, reason: "demo report" });
  show(`3. Spent ${spend} credits`, { available: spent.available, ledgerSequence: spent.ledgerSequence });

  const waitMs = new Date(demo.anniversary).getTime() + 2000 - Date.now();
  process.stdout.write(`\n== 4. Waiting ${Math.ceil(waitMs / 1000)} s for the anniversary (${demo.anniversary}) ...`);
  await sleep(Math.max(0, waitMs));
  console.log(" now.");

  const dryRun = await call(options, "POST", `/api/credits/reset?dryRun=true&subscriptionId=${demo.subscriptionId}`);
  show("5. Dry run: the planned reset (nothing changed)", { counts: dryRun.counts, plannedResets: dryRun.plannedResets });
  const reset = await call(options, "POST", `/api/credits/reset?subscriptionId=${demo.subscriptionId}`);
  show("6. The reset", { runId: reset.runId, counts: reset.counts });

  const ledger = await call(options, "GET", `/api/customers/${demo.customerId}/credits/ledger`);
  show("7. The customer's ledger, newest first: the reset record, the spend, the first allowance",
    ledger.entries.map((e) => ({ sequence: e.sequence, kind: e.kind, amount: e.amount, balanceAfter: e.balanceAfter, boundary: e.boundary, runId: e.runId, at: e.at })));
  const credits = await call(options, "GET", `/api/customers/${demo.customerId}/credits`);
  show("8. Available credits now", { available: credits.available });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(`\ndemo failed: ${error.message}`);
    process.exit(1);
  });
}
