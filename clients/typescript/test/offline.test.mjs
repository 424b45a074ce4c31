// trySpend against answers that do not come from the app (a fetch double, no server): the host's 401 without a body,
// a proxy's HTML 502. Both must throw a CreditsProblem that says what happened, never a TypeError.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CreditsProblem, createCreditsClient, trySpend } from "../dist/index.js";

const answering = (status, body, contentType) =>
  createCreditsClient({
    baseUrl: "http://127.0.0.1:9/api",
    functionKey: "wrong",
    fetch: async () => new Response(body, { status, headers: contentType ? { "content-type": contentType } : {} }),
  });

test("a 401 without a body (a missing or wrong function key) throws a CreditsProblem naming the key", async () => {
  await assert.rejects(trySpend(answering(401, null), "cus_1", 1, "job-1"), (e) =>
    e instanceof CreditsProblem && e.status === 401 && e.type === "http-401" && /function key/.test(e.problem.detail));
});

test("an HTML 502 from a proxy throws a CreditsProblem, not a TypeError", async () => {
  await assert.rejects(trySpend(answering(502, "<html>Bad gateway</html>", "text/html"), "cus_1", 1, "job-1"), (e) =>
    e instanceof CreditsProblem && e.status === 502 && e.type === "http-502" && /text\/html/.test(e.problem.detail));
});

test("a problem answer keeps its own type and fields", async () => {
  const body = JSON.stringify({ type: "service-unavailable", title: "Service unavailable", status: 503, detail: "Retry after 30 seconds." });
  await assert.rejects(trySpend(answering(503, body, "application/problem+json"), "cus_1", 1, "job-1"), (e) =>
    e instanceof CreditsProblem && e.status === 503 && e.type === "service-unavailable");
});
