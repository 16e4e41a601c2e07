// A 422's problems put on the field they are about: the API's validation details name the
// field (`loc`); a few domain rules name it by their code instead (see docs/web.md).
import type { ApiError } from "@atelier/api";

/** Domain 422s whose body names no field, and the field their code is about. */
const FIELD_OF_CODE: Record<string, string> = {
  BAD_EXPECTED_SHIP_DATE: "expected_ship_date",
  BAD_SURCHARGE: "surcharge_cents",
  BAD_REFUND_AMOUNT: "refund_cents",
  BAD_DELIVERY_TIME: "delivered_at",
  PRODUCT_ID_MISMATCH: "product_id",
};

/** Does a problem's dotted path name this field? "customization.expression.text.max_length"
 * matches "customization.expression.max_length" (pydantic puts the union's tag in the path). */
function names(path: string, field: string): boolean {
  if (path === field || path.startsWith(`${field}.`)) return true;
  const tagless = path.replace(/\.(text|options)(?=\.|$)/g, "");
  return tagless === field || tagless.startsWith(`${field}.`);
}

/** The message to show under this field, if the error is about it. */
export function fieldError(error: ApiError | null, field: string): string | undefined {
  if (!error) return undefined;
  if (FIELD_OF_CODE[error.code] === field) return error.message;
  // pydantic prefixes a validator's own sentence with "Value error, ".
  const found = error.fields.filter((f) => names(f.field, field)).map((f) => f.message.replace(/^Value error, /, ""));
  return found.length ? found.join(" ") : undefined;
}

/** Whether every problem of the error is shown on one of these fields. */
export function allOnFields(error: ApiError | null, fields: string[]): boolean {
  if (!error) return false;
  const coded = FIELD_OF_CODE[error.code];
  if (coded && fields.includes(coded)) return true;
  return error.fields.length > 0 && error.fields.every((f) => fields.some((field) => names(f.field, field)));
}

/** "12.50" -> 1250; null when it is not an amount of dollars and cents. */
export function centsOf(dollars: string): number | null {
  const text = dollars.trim().replace(/^\$/, "").replace(/,/g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(text)) return null;
  const [whole, fraction = ""] = text.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}
