// See CreditFunctions work locally without a Stripe account. With the app running (README, Quick start) this:
//   1. signs and posts a customer.subscription.created for a yearly plan (1,000 credits a month, started with a
//      backdated start date) whose next monthly anniversary is about a minute away, built from Stripe's own published
//      objects, with your local webhook secret;
//   2. posts it again, signed again as Stripe signs every attempt (a redelivery: "duplicate");
//   3. sets the customer's low-credits threshold to 800 and spends 300 credits (700 left: below it);
//   4. waits for the anniversary, then calls the manual reset as a dry run (a planned reset: 700 -> 1000), then for
//      real (the reset), and shows the customer's ledger with the reset record.
// With events on (Events__WebhookUrl, and node demo/receiver.mjs in another shell) the receiver prints credits.reset
// for the first allowance, credits.low for the spend, then credits.reset and credits.recovered for the reset.
// Each step checks the app's answer and stops with the reason (exit code 1) when it is not what the step expects.
// Usage: node demo/demo.mjs [--base http://localhost:7071] [--settings CreditFunctions/local.settings.json]
//                           [--secret whsec_...] [--wait-seconds 75] [--key <function key, for a deployed app>]
//        node demo/demo.mjs --print [--now 2026-03-01T09:00:00Z] [--secret whsec_...]   (the signed deliveries, no calls)
//        node demo/demo.mjs --help
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const apiVersion = "2026-10-28.endive";
const creditsPerMonth = 1000;
const spend = 300;
const lowBelow = 800;

const usage = "Usage: node demo/demo.mjs [--base URL] [--settings FILE] [--secret whsec_...] [--wait-seconds 5..3600] [--key KEY]\n"
  + "       node demo/demo.mjs --print [--now 2026-03-01T09:00:00Z] [--secret whsec_...]";

// An ISO 8601 UTC or offset time that names a real instant (no Feb 30, no bare numbers).
const isoTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
function parseTime(text) {
  const match = isoTime.exec(text);
  const date = match ? new Date(text) : null;
  if (!match || Number.isNaN(date.getTime())) return null;
  const [, year, month, day, hour, minute, second = "00", zone] = match;
  const offsetMinutes = zone === "Z" ? 0 : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  const local = new Date(date.getTime() + offsetMinutes * 60000);
  const same = local.getUTCFullYear() === Number(year) && local.getUTCMonth() + 1 === Number(month) && local.getUTCDate() === Number(day)
    && local.getUTCHours() === Number(hour) && local.getUTCMinutes() === Number(minute) && local.getUTCSeconds() === Number(second);
  return same && date.getTime() >= 0 ? date : null;
}

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
      case "--now": {
        const text = value();
        options.now = parseTime(text);
        if (!options.now) throw new Error(`--now must be an ISO 8601 time after 1970 such as 2026-03-01T09:00:00Z; got ${text}`);
        break;
      }
      case "--wait-seconds": options.waitSeconds = Number(value()); break;
      case "--print": options.print = true; break;
      case "--help": case "-h": options.help = true; break;
      default: throw new Error(`unknown argument ${name}\n${usage}`);
    }
  }
  if (options.now && !options.print) throw new Error("--now only goes with --print: the app checks that a signature is at most 5 minutes old, so live deliveries are signed now");
  if (!Number.isInteger(options.waitSeconds) || options.waitSeconds < 5 || options.waitSeconds > 3600) throw new Error("--wait-seconds must be a whole number from 5 to 3600");
  if (options.secret !== undefined && !/^whsec_[A-Za-z0-9_]+$/.test(options.secret)) throw new Error("--secret must be the endpoint's signing secret, whsec_...");
  return options;
}

function webhookSecret(options) {
  if (options.secret) return options.secret;
  let text;
  try {
    text = readFileSync(options.settings, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${options.settings} (${error.code ?? error.message}): copy local.settings.json.example there first, or pass --secret whsec_...`);
  }
  let settings;
  try {
    settings = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new Error(`${options.settings} is not valid JSON (${error.message})`);
  }
  const secret = settings?.Values?.Stripe__WebhookSecret;
  if (!secret || !/^whsec_[A-Za-z0-9_]+$/.test(secret)) throw new Error(`${options.settings} has no Stripe__WebhookSecret of the form whsec_...`);
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

const sign = (payload, secret, at) =>
  `t=${unix(at)},v1=${createHmac("sha256", secret).update(`${unix(at)}.${payload}`, "utf8").digest("hex")}`;

/**
 * The demo's subscription and its deliveries, signed with `secret`: Stripe's published event, subscription, item and
 * price, with ids, times, status, metadata and periods set, and the fixture's sample values that a plain subscription
 * does not have cleared (a pending update, a transfer, an anchor configuration) or made consistent (the item's legacy
 * `plan` mirrors its price). The subscription is created at `now` with a backdated start, so its next monthly
 * anniversary is `waitSeconds` on. The second delivery is the same event signed again `redeliverAfterSeconds` later.
 */
export function buildDemo(now, waitSeconds, secret, id = suffix(), redeliverAfterSeconds = 1) {
  const fixture = fixtures();
  const anniversary = new Date(Math.ceil((now.getTime() + waitSeconds * 1000) / 1000) * 1000);
  const start = periodStartFor(anniversary);
  const end = addMonths(start, 12);
  const subscriptionId = `sub_Demo${id}`, customerId = `cus_Demo${id}`;

  const price = fixture("price");
  Object.assign(price, {
    id: `price_Demo${id}`, created: unix(start) - 86400, lookup_key: null, unit_amount: 12000, unit_amount_decimal: "12000",
    transform_quantity: null, metadata: { credits_per_month: String(creditsPerMonth) },
  });
  Object.assign(price.recurring, { interval: "year", interval_count: 1, usage_type: "licensed" });

  const item = fixture("subscription_item");
  Object.assign(item, {
    id: `si_Demo${id}`, subscription: subscriptionId, created: unix(now), metadata: {}, billing_thresholds: null,
    current_period_start: unix(start), current_period_end: unix(end), price,
    plan: {
      ...item.plan, id: price.id, active: true, amount: price.unit_amount, amount_decimal: price.unit_amount_decimal, billing_scheme: "per_unit",
      created: price.created, currency: price.currency, interval: "year", interval_count: 1, metadata: price.metadata, product: price.product,
      transform_usage: null, usage_type: "licensed",
    },
  });

  const subscription = fixture("subscription");
  Object.assign(subscription, {
    id: subscriptionId, customer: customerId, status: "active", cancel_at_period_end: false, cancel_at: null,
    canceled_at: null, ended_at: null, trial_start: null, trial_end: null, pause_collection: null,
    next_pending_invoice_item_invoice: null, latest_invoice: `in_Demo${id}`, metadata: {},
    created: unix(now), start_date: unix(start), billing_cycle_anchor: unix(start),
    pending_update: null, billing_cycle_anchor_config: null, transfer_data: null, billing_thresholds: null,
    pending_invoice_item_interval: null, managed_payments: { enabled: false },
  });
  subscription.items.data = [item];
  subscription.items.url = `/v1/subscription_items?subscription=${subscriptionId}`;

  const event = fixture("event");
  Object.assign(event, {
    id: `evt_Demo${id}`, type: "customer.subscription.created", created: unix(now), api_version: apiVersion,
    pending_webhooks: 1, request: { id: `req_Demo${id}`, idempotency_key: `demo-${id}` }, data: { object: subscription },
  });

  // Stripe's scheme: HMAC-SHA256 of "{timestamp}.{payload}" with the endpoint's secret, sent as t=...,v1=..., for each attempt.
  const payload = JSON.stringify(event);
  const again = new Date(now.getTime() + redeliverAfterSeconds * 1000);
  return {
    customerId, subscriptionId, creditsPerMonth, spend, lowBelow, periodStart: start.toISOString(), anniversary: anniversary.toISOString(),
    deliveries: [
      { type: event.type, payload, signature: sign(payload, secret, now) },
      { type: event.type, payload, signature: sign(payload, secret, again) },
    ],
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

/** Stops the demo with the reason when the app's answer is not what the step expects. */
function expect(ok, step, answer, what) {
  if (!ok) throw new Error(`step ${step}: expected ${what}, but the app answered:\n${JSON.stringify(answer, null, 2)}`);
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  if (options.help) {
    console.log(usage);
    return;
  }

  const secret = webhookSecret(options);
  if (options.print) {
    console.log(JSON.stringify(buildDemo(options.now ?? new Date(), options.waitSeconds, secret), null, 2));
    return;
  }

  // Built when each delivery is sent, so its signature is fresh whatever the previous call took.
  const demo = buildDemo(new Date(), options.waitSeconds, secret);
  console.log(`Customer ${demo.customerId}, subscription ${demo.subscriptionId}: a yearly plan of ${creditsPerMonth} credits a month,`);
  console.log(`period started ${demo.periodStart}; its next monthly anniversary is ${demo.anniversary}.`);

  const [first] = demo.deliveries;
  const created = await call(options, "POST", "/api/stripe/webhook", first.payload, { "Stripe-Signature": first.signature });
  show("1. customer.subscription.created: stored, first allowance granted", created);
  expect(created.result === "synced" && created.reset?.applied === true && created.reset.balanceAfter === creditsPerMonth, 1, created,
    `"result": "synced" with the first allowance applied (balanceAfter ${creditsPerMonth})`);

  const redelivery = sign(first.payload, secret, new Date());
  const again = await call(options, "POST", "/api/stripe/webhook", first.payload, { "Stripe-Signature": redelivery });
  show("2. The same event again (Stripe redelivers, signed anew): nothing written", again);
  expect(again.result === "duplicate", 2, again, `"result": "duplicate"`);

  const alerts = await call(options, "PUT", `/api/customers/${demo.customerId}/credits/alerts`, { lowBelow });
  show(`3. The customer's low-credits threshold set to ${lowBelow}`, { threshold: alerts.threshold, level: alerts.level, eventsEnabled: alerts.eventsEnabled });
  expect(alerts.threshold === lowBelow, 3, alerts, `a threshold of ${lowBelow}`);

  const spent = await call(options, "POST", `/api/customers/${demo.customerId}/credits/spend`, { amount: spend, idempotencyKey: `demo-spend-${demo.subscriptionId}`, reason: "demo report" });
  show(`4. Spent ${spend} credits: below the threshold${alerts.eventsEnabled ? " (the receiver prints credits.low)" : ""}`, { available: spent.available, ledgerSequence: spent.ledgerSequence });
  expect(spent.available === creditsPerMonth - spend, 4, spent, `${creditsPerMonth - spend} credits available`);

  const waitMs = new Date(demo.anniversary).getTime() + 2000 - Date.now();
  if (waitMs <= 2000) throw new Error(`steps 1-4 took longer than the ${options.waitSeconds} s to the anniversary; run again with a larger --wait-seconds`);
  process.stdout.write(`\n== 5. Waiting ${Math.ceil(waitMs / 1000)} s for the anniversary (${demo.anniversary}) ...`);
  await sleep(waitMs);
  console.log(" now.");

  const dryRun = await call(options, "POST", `/api/credits/reset?dryRun=true&subscriptionId=${demo.subscriptionId}`);
  show("6. Dry run: the planned reset (nothing changed)", { counts: dryRun.counts, plannedResets: dryRun.plannedResets });
  const planned = dryRun.plannedResets ?? [];
  expect(planned.length === 1 && planned[0].balanceBefore === creditsPerMonth - spend && planned[0].balanceAfter === creditsPerMonth, 6, dryRun,
    `one planned reset from ${creditsPerMonth - spend} to ${creditsPerMonth}`);

  const reset = await call(options, "POST", `/api/credits/reset?subscriptionId=${demo.subscriptionId}`);
  show(`7. The reset${alerts.eventsEnabled ? " (the receiver prints credits.reset and credits.recovered)" : ""}`, { runId: reset.runId, counts: reset.counts });
  expect(reset.counts?.reset === 1, 7, reset, "one reset");

  const ledger = await call(options, "GET", `/api/customers/${demo.customerId}/credits/ledger`);
  const entries = (ledger.entries ?? []).map((e) => ({ sequence: e.sequence, kind: e.kind, amount: e.amount, balanceAfter: e.balanceAfter, boundary: e.boundary, runId: e.runId, at: e.at }));
  show("8. The customer's ledger, newest first: the reset record, the spend, the first allowance", entries);
  expect(entries.length === 3 && entries[0].kind === "reset" && entries[0].runId === reset.runId, 8, ledger, "the reset on top of the ledger, made by the run of step 7");

  const credits = await call(options, "GET", `/api/customers/${demo.customerId}/credits`);
  show("9. Available credits now", { available: credits.available });
  expect(credits.available === creditsPerMonth, 9, credits, `${creditsPerMonth} credits available`);
  console.log(alerts.eventsEnabled
    ? "\nEvents are on: the receiver (node demo/receiver.mjs) shows credits.reset, credits.low, credits.reset and credits.recovered for this customer."
    : "\nEvents are off: set Events__WebhookUrl and Events__WebhookSecret (README, See the events), restart the app, and run node demo/receiver.mjs beside this demo.");
  console.log("\nAll nine steps answered as expected.");
}

// Run when started as a script (through a symlink too), not when imported.
const invoked = process.argv[1] ? (() => { try { return realpathSync(process.argv[1]); } catch { return process.argv[1]; } })() : null;
if (invoked && invoked === realpathSync(fileURLToPath(import.meta.url))) {
  main().catch((error) => {
    console.error(`\ndemo failed: ${error.message}`);
    process.exit(1);
  });
}
