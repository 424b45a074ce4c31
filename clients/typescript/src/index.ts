// The CreditFunctions credits API for TypeScript: the types are generated from openapi/openapi.json (src/schema.ts,
// by openapi-typescript; never edit it by hand), the calls go through openapi-fetch, and this file adds only what the
// generated code makes awkward: creating the client with the function key, and trySpend.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

/** RFC 9457 problem details, as every error of the API is answered: switch on `type`. */
export type Problem = components["schemas"]["Problem"];

export type CreditsClient = Client<paths>;

export interface CreditsClientOptions {
  /** The app's `/api` root, such as `https://myapp.azurewebsites.net/api` or `http://localhost:7071/api`. */
  baseUrl: string;
  /** A function key, sent as `x-functions-key` (keep it on your backend: it spends any customer's credits). */
  functionKey?: string;
  /** Another fetch (a test double, a proxy-aware one); the global fetch by default. */
  fetch?: typeof globalThis.fetch;
}

/** The header Azure Functions reads a function key from. */
export const functionKeyHeader = "x-functions-key";

/** A client of every route in the document: `client.GET("/customers/{customerId}/credits", { params: { path: { customerId } } })`. */
export function createCreditsClient(options: CreditsClientOptions): CreditsClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: options.functionKey ? { [functionKeyHeader]: options.functionKey } : {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** An answer of the API that is not a success, thrown by trySpend: the problem details and the HTTP status. */
export class CreditsProblem extends Error {
  readonly problem: Problem;
  readonly status: number;

  constructor(problem: Problem, status: number) {
    super(`${status} ${problem.type}: ${problem.detail}`);
    this.name = "CreditsProblem";
    this.problem = problem;
    this.status = status;
  }

  get type(): string {
    return this.problem.type;
  }
}

/**
 * The idempotency key of a piece of work: `work-` and its id when that is a valid key (1-200 printable ASCII
 * characters without spaces, '/', '\\', '#' or '?'), else `work-` and the id's SHA-256 in hex. The same work always
 * gets the same key; the .NET client's IdempotencyKeyFor gives the same key for the same id.
 */
export async function idempotencyKeyFor(workId: string): Promise<string> {
  if (!workId) {
    throw new TypeError("workId must be a non-empty string");
  }

  if (workId.length <= 195 && /^[!-~]+$/.test(workId) && !/[/\\#?]/.test(workId)) {
    return `work-${workId}`;
  }

  const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(workId));
  return `work-${Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The problem an answer without problem details stands for. */
function withoutDetails(response: Response): Problem {
  return {
    type: `http-${response.status}`,
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: response.status === 401
      ? "No function key, or a wrong one (the Functions host's answer, without a body): check functionKey."
      : `HTTP ${response.status} without problem details (${response.headers.get("content-type") ?? "no content type"}); not an answer of the app.`,
  };
}

export interface SpendOptions {
  reason?: string;
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * Spends `amount` credits for the work `workId` (a job, a report, a request id): true when spent (now, or by an earlier
 * call for the same work: a retry never spends twice), false when the customer has too few credits (nothing taken).
 * Any other answer throws a CreditsProblem, a network failure the fetch error: call again with the same work id and
 * it spends at most once.
 */
export async function trySpend(client: CreditsClient, customerId: string, amount: number, workId: string, options: SpendOptions = {}): Promise<boolean> {
  const { data, error, response } = await client.POST("/customers/{customerId}/credits/spend", {
    params: { path: { customerId } },
    body: {
      amount,
      idempotencyKey: await idempotencyKeyFor(workId),
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
      ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (data) {
    return true;
  }

  // An answer without problem details (401 from the Functions host for a missing or wrong key, a proxy's HTML page)
  // has no error object: it is thrown as a problem of type http-<status>.
  const problem: Problem | undefined = typeof error === "object" && error !== null ? error : undefined;
  if (problem?.type === "insufficient-credits") {
    return false;
  }

  throw new CreditsProblem(problem ?? withoutDetails(response), response.status);
}
