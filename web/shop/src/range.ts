// An echo of the product's published range (P5), for live feedback while the customer types.
// The server stays the judge: it decides again, and its answer (review.reasons) is what counts.
// Mirrors shared/atelier/domain/customization.py's agree_customization: an option not offered,
// an engraving too long or with characters outside the pattern, or any remarks, go to a designer.
import type { Schemas } from "@atelier/api";

type Range = Schemas["CustomizationRange"];
type TextRule = Schemas["ExpressionText"];

export interface Request {
  style: string;
  color: string;
  expression: string;
  remarks: string;
}

export interface Note {
  field: keyof Request;
  message: string;
}

const fullMatchers = new Map<string, RegExp | null>();

/** The range's pattern as the server applies it (Python's re.fullmatch); null when this
 * browser cannot compile it, and then only the server checks it. */
function fullMatcher(pattern: string): RegExp | null {
  if (!fullMatchers.has(pattern)) {
    let compiled: RegExp | null = null;
    for (const flags of ["u", ""]) {
      try {
        compiled = new RegExp(`^(?:${pattern})$`, flags);
        break;
      } catch {
        compiled = null;
      }
    }
    fullMatchers.set(pattern, compiled);
  }
  return fullMatchers.get(pattern) ?? null;
}

/** What is wrong with an engraving against its rule, in words; empty when it fits. */
export function engravingProblems(rule: TextRule, text: string): string[] {
  const problems: string[] = [];
  const length = [...text].length; // code points, as the server counts them
  if (length > rule.max_length) {
    problems.push(`${length} characters; this piece takes ${rule.max_length}.`);
  }
  const matcher = fullMatcher(rule.allowed_pattern);
  if (text && matcher && !matcher.test(text)) {
    problems.push("It uses characters this piece cannot take.");
  }
  return problems;
}

function offered(options: string[], value: string): boolean {
  const wanted = value.trim().toLocaleLowerCase();
  return options.some((option) => option.toLocaleLowerCase() === wanted);
}

/** Why a designer will review this request before production; empty: agreed automatically. */
export function reviewNotes(range: Range, request: Request): Note[] {
  const notes: Note[] = [];
  if (request.style.trim() && !offered(range.style.options, request.style)) {
    notes.push({ field: "style", message: "This style is not in the piece's range." });
  }
  if (request.color.trim() && !offered(range.color.options, request.color)) {
    notes.push({ field: "color", message: "This color is not in the piece's range." });
  }
  const expression = request.expression.trim();
  if (expression) {
    if (range.expression.kind === "options") {
      if (!offered(range.expression.options, expression)) {
        notes.push({ field: "expression", message: "This expression is not one of those offered." });
      }
    } else {
      for (const problem of engravingProblems(range.expression as TextRule, expression)) {
        notes.push({ field: "expression", message: `The engraving: ${problem}` });
      }
    }
  }
  if (request.remarks.trim()) {
    notes.push({ field: "remarks", message: "Remarks are read by a designer before production." });
  }
  return notes;
}
