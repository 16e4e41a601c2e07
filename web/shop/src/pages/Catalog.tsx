import { money, must } from "@atelier/api";
import { Link, useShop } from "../app";
import { ErrorNote, Loading, useLoad } from "../ui";

/** GET /products: the public catalog. */
export function Catalog() {
  const { api } = useShop();
  const products = useLoad(() => must(api.GET("/products", { params: { query: { limit: 100 } } })), [api]);
  return (
    <section>
      <h1>Make it yours</h1>
      <p className="lead">Pick a piece, tell us the style, color and expression you want. Each one is made to order.</p>
      <ErrorNote error={products.error} onReload={products.reload} />
      {!products.data && !products.error && <Loading />}
      <ul className="cards">
        {products.data?.items.map((product) => (
          <li key={product.product_id} className="card">
            <h2>
              <Link to={`/products/${encodeURIComponent(product.product_id)}`}>{product.name}</Link>
            </h2>
            <p>{product.description}</p>
            <p className="price">
              {money(product.price_cents, product.currency)} <span className="muted">+ customization fee</span>
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
