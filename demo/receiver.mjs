#!/usr/bin/env node
// A SaaS's end of CreditFunctions' events, to watch them arrive locally (docs/events.md). It listens where
// Events__WebhookUrl points, verifies each delivery's Standard Webhooks signature with the `standardwebhooks` package (as
// your own receiver would), prints the event, and answers 204; a delivery that fails verification is refused with 400
// and printed as refused. An event that arrives again (the same webhook-id) is printed as a redelivery.
// Usage: node demo/receiver.mjs [--settings CreditFunctions/local.settings.json] [--port 7072] [--secret whsec_...]
//                               [--until credits.low,credits.reset] [--timeout-seconds 600]
//        node demo/receiver.mjs --new-secret     (prints a fresh signing secret for Events__WebhookSecret)
//        node demo/receiver.mjs --help
import { randomBytes } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Webhook, WebhookVerificationError } from "standardwebhooks";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const usage = "Usage: node demo/receiver.mjs [--settings FILE] [--port 1..65535] [--secret whsec_...] [--until type,type] [--timeout-seconds N]\n"
  + "       node demo/receiver.mjs --new-secret";
const secretPattern = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

function parseArguments(argv) {
  const options = { settings: join(root, "CreditFunctions", "local.settings.json"), until: [], timeoutSeconds: 0 };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${name} needs a value`);
      return argv[++i];
    };
    switch (name) {
      case "--settings": options.settings = value(); break;
      case "--port": options.port = Number(value()); break;
      case "--secret": options.secret = value(); break;
      case "--until": options.until = value().split(",").map((t) => t.trim()).filter(Boolean); break;
      case "--timeout-seconds": options.timeoutSeconds = Number(value()); break;
      case "--new-secret": options.newSecret = true; break;
      case "--help": case "-h": options.help = true; break;
      default: throw new Error(`unknown argument ${name}\n${usage}`);
    }
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) throw new Error("--port must be a whole number from 1 to 65535");
  if (!Number.isInteger(options.timeoutSeconds) || options.timeoutSeconds < 0) throw new Error("--timeout-seconds must be a whole number of seconds (0: run until stopped)");
  if (options.secret !== undefined && !secretPattern.test(options.secret)) throw new Error("--secret must be a Standard Webhooks secret, whsec_ and base64 of 24 to 64 bytes");
  return options;
}

/** The secret and port: from the arguments, else from the app's local.settings.json (Events__WebhookSecret, Events__WebhookUrl). */
function configuration(options) {
  let values = {};
  if (!options.secret || options.port === undefined) {
    let text;
    try {
      text = readFileSync(options.settings, "utf8");
    } catch (error) {
      throw new Error(`cannot read ${options.settings} (${error.code ?? error.message}): copy local.settings.json.example there first, or pass --secret and --port`);
    }
    try {
      values = JSON.parse(text.replace(/^\uFEFF/, ""))?.Values ?? {};
    } catch (error) {
      throw new Error(`${options.settings} is not valid JSON (${error.message})`);
    }
  }

  const secret = options.secret ?? values.Events__WebhookSecret;
  if (!secret || !secretPattern.test(secret)) {
    throw new Error(`no signing secret: set Events__WebhookSecret in ${options.settings} (node demo/receiver.mjs --new-secret makes one), restart the app, or pass --secret`);
  }

  let port = options.port;
  if (port === undefined) {
    const url = values.Events__WebhookUrl;
    if (!url) throw new Error(`Events__WebhookUrl is not set in ${options.settings}: set it to http://localhost:7072/events (and restart the app), or pass --port`);
    const parsed = new URL(url);
    port = Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
  }
  return { secret, port };
}

/** One line per event: its number, type, customer, available after, and what happened. */
function describe(event) {
  const d = event.data ?? {};
  const what = {
    "credits.reset": () => `${d.subscriptionId} reset at ${d.boundary}: ${d.balanceBefore} -> ${d.balanceAfter}${d.rolledOver ? `, ${d.rolledOver} rolled over` : ""}`,
    "credits.low": () => `below the threshold of ${d.threshold} (was ${d.previousLevel})`,
    "credits.depleted": () => `nothing left (was ${d.previousLevel})`,
    "credits.recovered": () => `back at or above ${d.threshold} (was ${d.previousLevel})`,
    "credits.granted": () => `${d.amount} from ${d.source}${d.reason ? ` (${d.reason})` : ""}`,
    "credits.adjusted": () => `${d.amount}${d.reason ? ` (${d.reason})` : ""}`,
    "credits.refunded": () => `${d.amount} (${d.reason})`,
    "credits.expired": () => `${d.amount} expired`,
    "credits.grant_expiring": () => `${d.remaining} in ${d.bucketId} expire at ${d.expiresAt}`,
    "renewal.unconfirmed": () => `${d.subscriptionId}: ${d.reason} since ${d.waitingSince}`,
  }[event.type];
  return `#${event.sequence} ${event.type} ${event.customerId}: ${what ? what() : JSON.stringify(d)}; available ${event.available}`;
}

/**
 * Starts the receiver. Resolves with the server once it listens; `onEvent` sees each verified event (first delivery and
 * redeliveries alike, with `redelivery` set on the latter).
 */
export function startReceiver({ secret, port, host = "127.0.0.1", log = console.log, onEvent = () => {} }) {
  const webhook = new Webhook(secret);
  const seen = new Set();
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let event;
      try {
        // The raw body exactly as sent: a re-serialized JSON would not verify.
        event = webhook.verify(body, request.headers);
      } catch (error) {
        const reason = error instanceof WebhookVerificationError ? error.message : `not an event (${error.message})`;
        log(`refused a delivery (${request.headers["webhook-id"] ?? "no webhook-id"}): ${reason}`);
        response.writeHead(400, { "Content-Type": "text/plain" }).end(reason);
        return;
      }

      const id = request.headers["webhook-id"];
      const redelivery = seen.has(id);
      seen.add(id);
      log(`${redelivery ? "redelivered " : ""}${describe(event)}`);
      log(JSON.stringify(event));
      response.writeHead(204).end();
      onEvent({ ...event, redelivery });
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  if (options.help) {
    console.log(usage);
    return;
  }

  if (options.newSecret) {
    console.log(`whsec_${randomBytes(32).toString("base64")}`);
    return;
  }

  const { secret, port } = configuration(options);
  const waiting = new Set(options.until);
  let server;
  const done = (code, message) => {
    if (message) (code === 0 ? console.log : console.error)(message);
    server?.close();
    process.exit(code);
  };
  try {
    server = await startReceiver({
      secret, port,
      onEvent: (event) => {
        waiting.delete(event.type);
        if (options.until.length > 0 && waiting.size === 0) done(0, `\nReceived ${options.until.join(", ")}.`);
      },
    });
  } catch (error) {
    throw new Error(error.code === "EADDRINUSE" ? `port ${port} is in use: stop what listens there, or pass --port` : error.message);
  }

  console.log(`Listening on http://localhost:${port}/ for CreditFunctions events (signatures checked with the standardwebhooks package). Ctrl+C stops.`);
  if (options.timeoutSeconds > 0) {
    setTimeout(() => done(1, `receiver: ${[...waiting].join(", ") || "the events"} did not arrive within ${options.timeoutSeconds} s`), options.timeoutSeconds * 1000).unref();
  }
}

// Run when started as a script (through a symlink too), not when imported.
const invoked = process.argv[1] ? (() => { try { return realpathSync(process.argv[1]); } catch { return process.argv[1]; } })() : null;
if (invoked && invoked === realpathSync(fileURLToPath(import.meta.url))) {
  main().catch((error) => {
    console.error(`receiver failed: ${error.message}`);
    process.exit(1);
  });
}
