// The API's error answers, turned into a message a person can act on. Two shapes exist
// (openapi.json): the functions' `{"error": {code, message, details}}` and API Gateway's own
// `{"message"}` (401 from the authorizer, 404 unknown route, 413, 429).
import type { Schemas } from "./client";

/** What the person can do about it; the UI offers the matching button. */
export type Remedy = "reload" | "sign-in" | "retry" | "fix-input" | "none";

export interface FieldProblem {
  /** Dotted path into the request body, e.g. "customization.expression". */
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The API's stable code (e.g. CONCURRENT_UPDATE), or the gateway's status text. */
    readonly code: string,
    message: string,
    readonly remedy: Remedy,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type ErrorBody = Schemas["ErrorResponse"];
type GatewayBody = Schemas["GatewayMessage"];

function isErrorBody(body: unknown): body is ErrorBody {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string";
}

function isGatewayBody(body: unknown): body is GatewayBody {
  return typeof (body as { message?: unknown } | null)?.message === "string";
}

function fieldProblems(details: unknown): FieldProblem[] {
  if (!Array.isArray(details)) return [];
  return details.flatMap((item: unknown) => {
    const entry = item as { loc?: unknown; msg?: unknown };
    if (!Array.isArray(entry.loc) || typeof entry.msg !== "string") return [];
    // powertools' locations start with where the value was read ("body", "query", ...).
    const path = entry.loc.filter((part, index) => !(index === 0 && typeof part === "string" && ["body", "query", "path", "header"].includes(part)));
    return [{ field: path.join("."), message: entry.msg }];
  });
}

const GATEWAY_MESSAGES: Record<number, [string, Remedy]> = {
  401: ["Your session has ended. Sign in again to continue.", "sign-in"],
  403: ["This account may not do that. Sign in with an account that may.", "sign-in"],
  404: ["That was not found. It may have been removed; go back and try again.", "none"],
  413: ["That is too large to send. Shorten the text or choose a smaller file.", "fix-input"],
  429: ["The shop is busy right now. Wait a few seconds and try again.", "retry"],
};

/** The ApiError for an answer that is not a success. */
export function apiErrorFrom(response: Response, body: unknown): ApiError {
  const status = response.status;
  if (isErrorBody(body)) {
    const { code, message, details } = body.error;
    if (status === 409) {
      return new ApiError(status, code, `${message} Reload to see the latest state, then try again.`, "reload");
    }
    if (status === 401) return new ApiError(status, code, message, "sign-in");
    if (status === 403) return new ApiError(status, code, message, "sign-in");
    if (status === 422 || status === 400) return new ApiError(status, code, message, "fix-input", fieldProblems(details));
    if (status === 429 || status === 503) return new ApiError(status, code, message, "retry");
    if (status >= 500) return new ApiError(status, code, `${message} Try again in a moment.`, "retry");
    return new ApiError(status, code, message, "none");
  }
  const known = GATEWAY_MESSAGES[status];
  if (known) return new ApiError(status, isGatewayBody(body) ? body.message : String(status), known[0], known[1]);
  if (status >= 500) {
    const reference = response.headers.get("apigw-requestid");
    const suffix = reference ? ` (reference ${reference})` : "";
    return new ApiError(status, "SERVER_ERROR", `Something went wrong on the shop's side${suffix}. Try again in a moment.`, "retry");
  }
  return new ApiError(status, "UNEXPECTED", `The shop answered ${status}. Try again, or reload the page.`, "reload");
}

/** A failure that never reached the API (offline, DNS, CORS). */
export function networkError(): ApiError {
  return new ApiError(0, "NETWORK", "The shop cannot be reached. Check your connection and try again.", "retry");
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The data of an openapi-fetch call, or an ApiError to show. Usage:
 * `const order = await must(api.GET("/orders/{order_id}", { params: { path: { order_id } } }))`.
 */
export async function must<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch {
    throw networkError();
  }
  if (result.response.ok && result.data !== undefined) return result.data;
  if (result.response.ok) return undefined as T; // a success with no body
  throw apiErrorFrom(result.response, result.error);
}

/** Any thrown value as an ApiError (a programming error becomes a generic one). */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, "CLIENT", "Something went wrong in this page. Reload it and try again.", "reload");
}
