// A product and its customization range (P5): POST /staff/products to create, PUT
// /staff/products/{id} to replace it whole. The API validates; its 422s land on their fields.
import { useEffect, useState } from "react";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Flashbar, { type FlashbarProps } from "@cloudscape-design/components/flashbar";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import RadioGroup from "@cloudscape-design/components/radio-group";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Textarea from "@cloudscape-design/components/textarea";
import Toggle from "@cloudscape-design/components/toggle";
import { ApiError, asApiError, must, type Schemas } from "@atelier/api";
import { inputError } from "../components/ActionModal";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { allOnFields, centsOf, fieldError } from "../components/fields";
import { useConsole } from "../context";
import { navigate } from "../router";

type Product = Schemas["StaffProductView"];

/** The form's text, as typed: lists one item a line, the price in dollars. */
interface Draft {
  product_id: string;
  name: string;
  description: string;
  price: string;
  sizes: string;
  active: boolean;
  styles: string;
  colors: string;
  kind: "options" | "text";
  expressions: string;
  max_length: string;
  allowed_pattern: string;
  structure: string;
  material: string;
  size: string;
}

const EMPTY: Draft = {
  product_id: "",
  name: "",
  description: "",
  price: "",
  sizes: "",
  active: true,
  styles: "",
  colors: "",
  kind: "text",
  expressions: "",
  max_length: "12",
  allowed_pattern: "^[A-Za-z0-9 .&'-]*$",
  structure: "",
  material: "",
  size: "",
};

const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter(Boolean);

function draftOf(p: Product): Draft {
  const e = p.customization.expression;
  return {
    product_id: p.product_id,
    name: p.name,
    description: p.description,
    price: (p.price_cents / 100).toFixed(2),
    sizes: p.sizes.join("\n"),
    active: p.active,
    styles: (p.customization.style.options ?? []).join("\n"),
    colors: (p.customization.color.options ?? []).join("\n"),
    kind: e.kind === "text" ? "text" : "options",
    expressions: e.kind === "text" ? "" : e.options.join("\n"),
    max_length: e.kind === "text" ? String(e.max_length) : EMPTY.max_length,
    allowed_pattern: e.kind === "text" ? e.allowed_pattern : EMPTY.allowed_pattern,
    structure: p.customization.fixed.structure,
    material: p.customization.fixed.material,
    size: p.customization.fixed.size,
  };
}

function bodyOf(d: Draft): Schemas["Product"] {
  const price = centsOf(d.price);
  if (price === null) throw inputError("price_cents", "Enter the price in dollars, e.g. 129.00.");
  const maxLength = Number(d.max_length);
  if (d.kind === "text" && !Number.isInteger(maxLength)) {
    throw inputError("customization.expression.max_length", "Enter a whole number of characters.");
  }
  return {
    product_id: d.product_id.trim(),
    name: d.name,
    description: d.description,
    price_cents: price,
    currency: "USD",
    sizes: lines(d.sizes),
    active: d.active,
    customization: {
      style: { options: lines(d.styles) },
      color: { options: lines(d.colors) },
      expression:
        d.kind === "text"
          ? { kind: "text", max_length: maxLength, allowed_pattern: d.allowed_pattern }
          : { kind: "options", options: lines(d.expressions) },
      fixed: { structure: d.structure, material: d.material, size: d.size },
    },
  };
}

/** Every product page until this one: the API reads products as a list only. */
async function findProduct(api: ReturnType<typeof useConsole>["api"], productId: string): Promise<Product> {
  let cursor: string | null = null;
  do {
    const page: Schemas["StaffProductPage"] = await must(
      api.GET("/staff/products", { params: { query: { limit: 100, cursor, include_inactive: true } } }),
    );
    const found = page.items.find((p) => p.product_id === productId);
    if (found) return found;
    cursor = page.next_cursor;
  } while (cursor);
  throw new ApiError(404, "NOT_FOUND", `There is no product ${productId} in the catalog. Go back to the catalog.`, "none");
}

const FIELDS = [
  "product_id",
  "name",
  "description",
  "price_cents",
  "sizes",
  "active",
  "customization.style",
  "customization.color",
  "customization.expression",
  "customization.fixed",
];

export function ProductPage({ productId }: { productId: string | null }) {
  const { api } = useConsole();
  const [draft, setDraft] = useState<Draft | null>(productId ? null : EMPTY);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [round, setRound] = useState(0);
  const [flash, setFlash] = useState<FlashbarProps.MessageDefinition[]>([]);

  useEffect(() => {
    if (!productId) return;
    let live = true;
    findProduct(api, productId).then(
      (p) => live && (setDraft(draftOf(p)), setLoadError(null)),
      (failure: unknown) => live && setLoadError(asApiError(failure)),
    );
    return () => {
      live = false;
    };
  }, [api, productId, round]);

  if (!draft) return loadError ? <ApiErrorAlert error={loadError} onReload={() => setRound((n) => n + 1)} /> : <Spinner size="large" />;
  const set = (changes: Partial<Draft>) => setDraft({ ...draft, ...changes });
  const err = (field: string) => fieldError(error, field);

  const save = async () => {
    setBusy(true);
    try {
      const body = bodyOf(draft);
      const saved = productId
        ? await must(api.PUT("/staff/products/{product_id}", { params: { path: { product_id: productId } }, body }))
        : await must(api.POST("/staff/products", { body }));
      setError(null);
      setDraft(draftOf(saved));
      setFlash([{ type: "success", content: `Saved ${saved.name}.`, id: "saved", dismissible: true, dismissLabel: "Dismiss", onDismiss: () => setFlash([]) }]);
      if (!productId) navigate(`/catalog/${saved.product_id}`, true);
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <Form
        header={
          <Header variant="h1" description="Customers order within this range; anything outside it goes to a designer.">
            {productId ? draft.name || productId : "New product"}
          </Header>
        }
        errorText={error && !allOnFields(error, FIELDS) ? <ApiErrorAlert error={error} onReload={() => setRound((n) => n + 1)} fieldsShown /> : undefined}
        errorIconAriaLabel="Error"
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button formAction="none" variant="link" onClick={() => navigate("/catalog")}>
              Back to the catalog
            </Button>
            <Button variant="primary" loading={busy}>
              {productId ? "Save changes" : "Create the product"}
            </Button>
          </SpaceBetween>
        }
      >
        <SpaceBetween size="l">
          <Flashbar items={flash} />
          <Container header={<Header variant="h2">The piece</Header>}>
            <SpaceBetween size="m">
              <ColumnLayout columns={2}>
                <FormField label="Product id" description="Lowercase letters, digits and dashes; it cannot change." errorText={err("product_id")}>
                  <Input value={draft.product_id} readOnly={productId !== null} onChange={({ detail }) => set({ product_id: detail.value })} />
                </FormField>
                <FormField label="Name" errorText={err("name")}>
                  <Input value={draft.name} onChange={({ detail }) => set({ name: detail.value })} />
                </FormField>
                <FormField label="Price (USD)" description="Tax and shipping included; the $10.00 customization fee is added." errorText={err("price_cents")}>
                  <Input value={draft.price} inputMode="decimal" onChange={({ detail }) => set({ price: detail.value })} />
                </FormField>
                <FormField label="Sizes" description="One a line; none for a piece without sizes." errorText={err("sizes")}>
                  <Textarea value={draft.sizes} rows={3} onChange={({ detail }) => set({ sizes: detail.value })} />
                </FormField>
              </ColumnLayout>
              <FormField label="Description" errorText={err("description")} stretch>
                <Textarea value={draft.description} onChange={({ detail }) => set({ description: detail.value })} />
              </FormField>
              <FormField label="Availability" errorText={err("active")}>
                <Toggle checked={draft.active} onChange={({ detail }) => set({ active: detail.checked })}>
                  {draft.active ? "Active: customers can see and order it" : "Retired: hidden from customers"}
                </Toggle>
              </FormField>
            </SpaceBetween>
          </Container>
          <Container header={<Header variant="h2" description="What the customer may choose (P5).">Customization range</Header>}>
            <SpaceBetween size="m">
              <ColumnLayout columns={2}>
                <FormField label="Style options" description="One a line." errorText={err("customization.style")}>
                  <Textarea value={draft.styles} rows={4} onChange={({ detail }) => set({ styles: detail.value })} />
                </FormField>
                <FormField label="Color options" description="One a line." errorText={err("customization.color")}>
                  <Textarea value={draft.colors} rows={4} onChange={({ detail }) => set({ colors: detail.value })} />
                </FormField>
              </ColumnLayout>
              <FormField label="Expression">
                <RadioGroup
                  value={draft.kind}
                  onChange={({ detail }) => set({ kind: detail.value as Draft["kind"] })}
                  items={[
                    { value: "text", label: "Engraving", description: "Free text within a length and a pattern." },
                    { value: "options", label: "A choice of expressions", description: "e.g. a figure's smiling or winking face." },
                  ]}
                />
              </FormField>
              {draft.kind === "text" ? (
                <ColumnLayout columns={2}>
                  <FormField label="Engraving max length" errorText={err("customization.expression.max_length")}>
                    <Input value={draft.max_length} inputMode="numeric" onChange={({ detail }) => set({ max_length: detail.value })} />
                  </FormField>
                  <FormField label="Allowed pattern" description="A regular expression the whole engraving must match." errorText={err("customization.expression.allowed_pattern")}>
                    <Input value={draft.allowed_pattern} onChange={({ detail }) => set({ allowed_pattern: detail.value })} />
                  </FormField>
                </ColumnLayout>
              ) : (
                <FormField label="Expression options" description="One a line." errorText={err("customization.expression")}>
                  <Textarea value={draft.expressions} rows={4} onChange={({ detail }) => set({ expressions: detail.value })} />
                </FormField>
              )}
            </SpaceBetween>
          </Container>
          <Container header={<Header variant="h2" description="What the customer cannot change.">Fixed attributes</Header>}>
            <ColumnLayout columns={3}>
              <FormField label="Structure" errorText={err("customization.fixed.structure")}>
                <Textarea value={draft.structure} onChange={({ detail }) => set({ structure: detail.value })} />
              </FormField>
              <FormField label="Material" errorText={err("customization.fixed.material")}>
                <Textarea value={draft.material} onChange={({ detail }) => set({ material: detail.value })} />
              </FormField>
              <FormField label="Fixed size" errorText={err("customization.fixed.size")}>
                <Textarea value={draft.size} onChange={({ detail }) => set({ size: detail.value })} />
              </FormField>
            </ColumnLayout>
          </Container>
        </SpaceBetween>
      </Form>
    </form>
  );
}
