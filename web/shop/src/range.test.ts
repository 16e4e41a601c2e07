// The live feedback's echo of the range (range.ts) against the cases the server decides
// (shared/atelier/domain/customization.py): the browser must never say "in range" when the
// server will send the request to a designer, nor the reverse.
import { describe, expect, it } from "vitest";
import type { Schemas } from "@atelier/api";
import { engravingProblems, reviewNotes, type Request } from "./range";

const engraving: Schemas["ExpressionText"] = { kind: "text", max_length: 12, allowed_pattern: "^[A-Za-z0-9 .,&'!-]*$" };
const ring: Schemas["CustomizationRange"] = {
  style: { options: ["oval", "round"] },
  color: { options: ["gold", "rose gold"] },
  expression: engraving,
  fixed: { structure: "12 x 10 mm face", material: "silver", size: "US 5-9" },
};
const none: Request = { style: "", color: "", expression: "", remarks: "" };

describe("engravingProblems", () => {
  it("accepts text inside the length and the pattern", () => {
    expect(engravingProblems(engraving, "A & J")).toEqual([]);
  });
  it("counts characters as the server does (code points), not UTF-16 units", () => {
    const twelve = "ABCDEFGHIJK𝒜";
    const loose = { ...engraving, allowed_pattern: ".*" };
    expect(engravingProblems(loose, twelve)).toEqual([]);
    expect(engravingProblems(loose, twelve + "x")).toEqual(["13 characters; this piece takes 12."]);
  });
  it("matches the pattern over the whole text, as re.fullmatch does", () => {
    const initials = { ...engraving, allowed_pattern: "[A-Z]{2}" };
    expect(engravingProblems(initials, "AJ")).toEqual([]);
    expect(engravingProblems(initials, "AJX")).toEqual(["It uses characters this piece cannot take."]);
  });
  it("flags characters outside the pattern", () => {
    expect(engravingProblems(engraving, "A ♥ J")).toEqual(["It uses characters this piece cannot take."]);
  });
  it("leaves a pattern this browser cannot compile to the server", () => {
    expect(engravingProblems({ ...engraving, allowed_pattern: "(?P<name>[a-z]+)" }, "anything ♥")).toEqual([]);
  });
});

describe("reviewNotes", () => {
  it("is empty for offered options in any case, so the request is agreed automatically", () => {
    expect(reviewNotes(ring, { ...none, style: "Oval", color: "ROSE GOLD", expression: "A & J" })).toEqual([]);
  });
  it("names each field outside the range", () => {
    const notes = reviewNotes(ring, { ...none, style: "heart", color: "emerald", expression: "A ♥ J" });
    expect(notes.map((note) => note.field)).toEqual(["style", "color", "expression"]);
  });
  it("sends any remarks to a designer", () => {
    expect(reviewNotes(ring, { ...none, remarks: "thinner, please" })).toEqual([
      { field: "remarks", message: "Remarks are read by a designer before production." },
    ]);
  });
  it("checks an expression chosen among options", () => {
    const figure = { ...ring, expression: { kind: "options" as const, options: ["smiling", "winking"] } };
    expect(reviewNotes(figure, { ...none, expression: "Winking" })).toEqual([]);
    expect(reviewNotes(figure, { ...none, expression: "surprised" })[0]?.field).toBe("expression");
  });
  it("ignores blank fields, as the server does", () => {
    expect(reviewNotes(ring, { style: "  ", color: "", expression: " ", remarks: "\n" })).toEqual([]);
  });
});
