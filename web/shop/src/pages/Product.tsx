import { useId, useMemo, useRef, useState, type FormEvent } from "react";
import { asApiError, money, must, type ApiError, type Schemas } from "@atelier/api";
import { navigate, useShop, useUser } from "../app";
import { engravingProblems, reviewNotes, type Request } from "../range";
import { ErrorNote, Loading, newIdempotencyKey, useLoad } from "../ui";

type Product = Schemas["ProductView"];
type OrderBody = Schemas["CreateOrderIn"];

const OTHER = "__other__";

/** A choice among the published options, or "something else" typed in (which goes to review). */
function OptionField(props: {
  label: string;
  options: string[];
  value: string;
  onChange: (value: string) => void;
}) {
  const id = useId();
  const listed = props.value === "" || props.options.includes(props.value);
  const [other, setOther] = useState(!listed);
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        value={other ? OTHER : props.value}
        onChange={(event) => {
          const chosen = event.target.value;
          setOther(chosen === OTHER);
          props.onChange(chosen === OTHER ? "" : chosen);
        }}
      >
        <option value="">No change</option>
        {props.options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
        <option value={OTHER}>Something else (a designer reviews it)</option>
      </select>
      {other && (
        <input
          aria-label={`${props.label}: describe it`}
          value={props.value}
          maxLength={100}
          onChange={(event) => props.onChange(event.target.value)}
        />
      )}
    </div>
  );
}

function TextField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
  type?: string;
  maxLength?: number;
  autoComplete?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? "text"}
        value={props.value}
        required={props.required}
        maxLength={props.maxLength}
        autoComplete={props.autoComplete}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </div>
  );
}

export function ProductPage({ productId }: { productId: string }) {
  const { api } = useShop();
  const product = useLoad(
    () => must(api.GET("/products/{product_id}", { params: { path: { product_id: productId } } })),
    [api, productId],
  );
  if (product.error) return <ErrorNote error={product.error} onReload={product.reload} />;
  if (!product.data) return <Loading />;
  return <OrderForm product={product.data} />;
}

function OrderForm({ product }: { product: Product }) {
  const { api, session } = useShop();
  const user = useUser();
  const range = product.customization;
  const terms = useLoad(() => must(api.GET("/terms")), [api]);
  const [request, setRequest] = useState<Request>({ style: "", color: "", expression: "", remarks: "" });
  const [size, setSize] = useState("");
  const [contact, setContact] = useState({ name: "", email: user?.email ?? "", phone: "" });
  const [address, setAddress] = useState({ line1: "", line2: "", city: "", region: "", postal_code: "", country: "US" });
  const [accepted, setAccepted] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  // One key per distinct order body: resending the same body replays the first answer.
  const sent = useRef<{ body: string; key: string } | null>(null);
  const engravingId = useId();
  const remarksId = useId();
  const sizeId = useId();

  const notes = useMemo(() => reviewNotes(range, request), [range, request]);
  const textRule = range.expression.kind === "text" ? (range.expression as Schemas["ExpressionText"]) : null;
  const engraving = textRule ? engravingProblems(textRule, request.expression.trim()) : [];
  const change = (field: keyof Request) => (value: string) => setRequest((r) => ({ ...r, [field]: value }));
  const nothingAsked = !Object.values(request).some((v) => v.trim());

  async function placeOrder(event: FormEvent) {
    event.preventDefault();
    if (!user) {
      await session.signIn();
      return;
    }
    if (!terms.data) return;
    const optional = (value: string) => (value.trim() ? value.trim() : null);
    const body: OrderBody = {
      product_id: product.product_id,
      size: product.sizes.length ? size : null,
      customization: {
        style: optional(request.style),
        color: optional(request.color),
        expression: optional(request.expression),
        remarks: optional(request.remarks),
      },
      contact: { name: contact.name, email: contact.email, phone: optional(contact.phone) },
      shipping_address: {
        line1: address.line1,
        line2: optional(address.line2),
        city: address.city,
        region: optional(address.region),
        postal_code: address.postal_code,
        country: address.country.trim().toUpperCase(),
      },
      accept_terms_version: terms.data.version,
    };
    const json = JSON.stringify(body);
    if (sent.current?.body !== json) sent.current = { body: json, key: newIdempotencyKey() };
    setSending(true);
    setError(null);
    try {
      const order = await must(
        api.POST("/orders", { body, params: { header: { "Idempotency-Key": sent.current.key } } }),
      );
      navigate(`/orders/${encodeURIComponent(order.order_id)}`);
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setSending(false);
    }
  }

  return (
    <form className="product" onSubmit={(event) => void placeOrder(event)} noValidate>
      <h1>{product.name}</h1>
      <p>{product.description}</p>
      {!user && (
        <p className="review-note">
          <button type="button" className="link" onClick={() => void session.signIn()}>
            Sign in
          </button>{" "}
          before you choose: ordering needs an account, and signing in brings you back to this page.
        </p>
      )}
      <p className="price">
        {money(product.price_cents, product.currency)}{" "}
        <span className="muted">+ the customization fee (the order shows the total); tax and shipping included</span>
      </p>
      <dl className="fixed">
        <dt>Structure</dt>
        <dd>{range.fixed.structure}</dd>
        <dt>Material</dt>
        <dd>{range.fixed.material}</dd>
        <dt>Sizes</dt>
        <dd>{range.fixed.size}</dd>
      </dl>

      <fieldset>
        <legend>Your customization</legend>
        {product.sizes.length > 0 && (
          <div className="field">
            <label htmlFor={sizeId}>Size</label>
            <select id={sizeId} value={size} required onChange={(event) => setSize(event.target.value)}>
              <option value="">Choose a size</option>
              {product.sizes.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
        )}
        <OptionField label="Style" options={range.style.options} value={request.style} onChange={change("style")} />
        <OptionField label="Color" options={range.color.options} value={request.color} onChange={change("color")} />
        {range.expression.kind === "options" ? (
          <OptionField
            label="Expression"
            options={range.expression.options}
            value={request.expression}
            onChange={change("expression")}
          />
        ) : (
          <div className="field">
            <label htmlFor={engravingId}>Engraving</label>
            <input
              id={engravingId}
              value={request.expression}
              maxLength={200}
              aria-invalid={engraving.length > 0}
              aria-describedby={`${engravingId}-hint`}
              onChange={(event) => change("expression")(event.target.value)}
            />
            <p id={`${engravingId}-hint`} className={engraving.length ? "warn" : "muted"} aria-live="polite">
              {engraving.length
                ? `${engraving.join(" ")} You can still order it: a designer will review it.`
                : `Up to ${textRule?.max_length} characters: letters, digits, spaces and simple punctuation.`}
            </p>
          </div>
        )}
        <div className="field">
          <label htmlFor={remarksId}>Remarks for the designer (optional)</label>
          <textarea
            id={remarksId}
            value={request.remarks}
            maxLength={2000}
            rows={3}
            onChange={(event) => change("remarks")(event.target.value)}
          />
        </div>
      </fieldset>

      {notes.length > 0 ? (
        <div className="review-note" role="status">
          <strong>A designer will review this request before it is made.</strong>
          <ul>
            {notes.map((note) => (
              <li key={note.field + note.message}>{note.message}</li>
            ))}
          </ul>
          <p>You pay now as usual; if the designer asks for a surcharge you can accept or decline it (a decline is refunded in full).</p>
        </div>
      ) : (
        !nothingAsked && (
          <p className="ok" role="status">
            Inside this piece's range: it goes straight to the workshop once paid.
          </p>
        )
      )}

      <fieldset>
        <legend>Contact</legend>
        <TextField label="Name" value={contact.name} required maxLength={200} autoComplete="name" onChange={(name) => setContact((c) => ({ ...c, name }))} />
        <TextField label="Email" type="email" value={contact.email} required maxLength={254} autoComplete="email" onChange={(email) => setContact((c) => ({ ...c, email }))} />
        <TextField label="Phone (optional)" type="tel" value={contact.phone} maxLength={32} autoComplete="tel" onChange={(phone) => setContact((c) => ({ ...c, phone }))} />
      </fieldset>
      <fieldset>
        <legend>Shipping address</legend>
        <TextField label="Address line 1" value={address.line1} required maxLength={200} autoComplete="address-line1" onChange={(line1) => setAddress((a) => ({ ...a, line1 }))} />
        <TextField label="Address line 2 (optional)" value={address.line2} maxLength={200} autoComplete="address-line2" onChange={(line2) => setAddress((a) => ({ ...a, line2 }))} />
        <TextField label="City" value={address.city} required maxLength={100} autoComplete="address-level2" onChange={(city) => setAddress((a) => ({ ...a, city }))} />
        <TextField label="State or region" value={address.region} maxLength={100} autoComplete="address-level1" onChange={(region) => setAddress((a) => ({ ...a, region }))} />
        <TextField label="Postal code" value={address.postal_code} required maxLength={20} autoComplete="postal-code" onChange={(postal_code) => setAddress((a) => ({ ...a, postal_code }))} />
        <TextField label="Country (two letters, e.g. US)" value={address.country} required maxLength={2} autoComplete="country" onChange={(country) => setAddress((a) => ({ ...a, country }))} />
      </fieldset>

      <fieldset>
        <legend>Terms</legend>
        <ErrorNote error={terms.error} onReload={terms.reload} />
        {terms.data && (
          <>
            <div className="terms" tabIndex={0} aria-label={`Terms, version ${terms.data.version}`}>
              {terms.data.text}
            </div>
            <label className="check">
              <input type="checkbox" checked={accepted} onChange={(event) => setAccepted(event.target.checked)} /> I accept the
              terms (version {terms.data.version})
            </label>
          </>
        )}
      </fieldset>

      <ErrorNote error={error} />
      <button type="submit" className="primary" disabled={Boolean(user) && (sending || !accepted || (product.sizes.length > 0 && !size))}>
        {sending ? "Placing the order…" : user ? "Place the order" : "Sign in to order"}
      </button>
      <p className="muted">Payment is due within 24 hours of ordering.</p>
    </form>
  );
}
