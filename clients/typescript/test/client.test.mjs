// The TypeScript client against a running app: CREDITS_API_URL is its /api root (the .NET test suite starts the real
// functions on a local server and runs this; `func start` with Azurite works the same), CREDITS_FUNCTION_KEY its key
// if it checks keys. Each test makes its own customer with a grant, so any app with an empty or busy store will do.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { CreditsProblem, createCreditsClient, idempotencyKeyFor, trySpend } from "../dist/index.js";

const baseUrl = process.env.CREDITS_API_URL;
if (!baseUrl) {
  throw new Error("Set CREDITS_API_URL to the app's /api root (http://localhost:7071/api with func start): these tests call a running app.");
}

const client = createCreditsClient({ baseUrl, functionKey: process.env.CREDITS_FUNCTION_KEY });
const newCustomer = () => `cus_Ts${randomBytes(6).toString("hex")}`;
const customerPath = (customerId) => ({ params: { path: { customerId } } });

async function grant(customerId, amount, idempotencyKey, reason = "start") {
  const { data, error, response } = await client.POST("/customers/{customerId}/credits/grants", {
    ...customerPath(customerId),
    body: { amount, idempotencyKey, reason },
  });
  assert.equal(response.status, 201, JSON.stringify(error));
  return data;
}

test("grant, read and spend move the balance as the API says", async () => {
  const customerId = newCustomer();
  const granted = await grant(customerId, 100, "welcome", "welcome bonus");
  const spent = await client.POST("/customers/{customerId}/credits/spend", {
    ...customerPath(customerId),
    body: { amount: 30, idempotencyKey: "report-1", reason: "report", metadata: { reportId: "rpt_1" } },
  });
  const { data: credits } = await client.GET("/customers/{customerId}/credits", customerPath(customerId));

  assert.deepEqual([granted.kind, granted.amount, granted.available], ["grant", 100, 100]);
  assert.equal(spent.response.status, 200);
  assert.deepEqual([spent.data.kind, spent.data.amount, spent.data.available], ["spend", -30, 70]);
  assert.equal(credits.available, 70);
  assert.deepEqual(credits.buckets.map((b) => [b.kind, b.remaining, b.granted, b.reason]), [["grant", 70, 100, "welcome bonus"]]);
});

test("trySpend spends the same work once, and answers false with nothing taken when credits are short", async () => {
  const customerId = newCustomer();
  await grant(customerId, 50, "g");

  assert.equal(await trySpend(client, customerId, 20, "job-81", { reason: "render" }), true);
  assert.equal(await trySpend(client, customerId, 20, "job-81", { reason: "render" }), true); // a retry of the same work
  assert.equal(await trySpend(client, customerId, 31, "job-82"), false);
  assert.equal(await trySpend(client, customerId, 30, "a job id with spaces / and more than an ASCII key allows: é"), true);

  const { data: credits } = await client.GET("/customers/{customerId}/credits", customerPath(customerId));
  const { data: ledger } = await client.GET("/customers/{customerId}/credits/ledger", customerPath(customerId));
  assert.equal(credits.available, 0);
  assert.deepEqual(ledger.entries.map((e) => [e.kind, e.idempotencyKey]), [
    ["spend", await idempotencyKeyFor("a job id with spaces / and more than an ASCII key allows: é")],
    ["spend", "work-job-81"],
    ["grant", "g"],
  ]);
});

test("the ledger paged with limit and continuationToken gives every entry once, newest first", async () => {
  const customerId = newCustomer();
  await grant(customerId, 100, "g");
  for (let i = 1; i <= 6; i++) {
    assert.equal(await trySpend(client, customerId, i, `job-${i}`), true);
  }

  const sequences = [];
  let pages = 0;
  let continuationToken;
  do {
    const { data, response } = await client.GET("/customers/{customerId}/credits/ledger", {
      params: { path: { customerId }, query: { limit: 3, ...(continuationToken ? { continuationToken } : {}) } },
    });
    assert.equal(response.status, 200);
    pages++;
    sequences.push(...data.entries.map((e) => e.sequence));
    continuationToken = data.continuationToken;
  } while (continuationToken);

  assert.deepEqual(sequences, [7, 6, 5, 4, 3, 2, 1]);
  assert.equal(pages, 3);
});

test("problem answers come back as problem details with their type and fields", async () => {
  const customerId = newCustomer();

  const missing = await client.GET("/customers/{customerId}/credits", customerPath(customerId));
  const invalid = await client.POST("/customers/{customerId}/credits/spend", { ...customerPath(customerId), body: { amount: 0, idempotencyKey: "k" } });
  await grant(customerId, 10, "g");
  const short = await client.POST("/customers/{customerId}/credits/spend", { ...customerPath(customerId), body: { amount: 11, idempotencyKey: "s" } });

  assert.deepEqual([missing.response.status, missing.error.type], [404, "customer-not-found"]);
  assert.match(missing.response.headers.get("content-type"), /^application\/problem\+json/);
  assert.deepEqual([invalid.response.status, invalid.error.type, Object.keys(invalid.error.errors)], [400, "invalid-request", ["amount"]]);
  assert.deepEqual([short.response.status, short.error.type, short.error.available, short.error.requested], [409, "insufficient-credits", 10, 11]);

  await assert.rejects(trySpend(client, newCustomer(), 1, "job-1"), (e) => e instanceof CreditsProblem && e.status === 404 && e.type === "customer-not-found");
});

test("idempotencyKeyFor keeps a valid id and hashes one no key can be", async () => {
  assert.equal(await idempotencyKeyFor("job-81"), "work-job-81");
  assert.match(await idempotencyKeyFor("with space"), /^work-[0-9a-f]{64}$/);
  assert.equal(await idempotencyKeyFor("with space"), await idempotencyKeyFor("with space"));
  assert.equal((await idempotencyKeyFor("x".repeat(500))).length, 69);
  await assert.rejects(idempotencyKeyFor(""), TypeError);
});
