import { Link, usePath, useShop, useUser } from "./app";
import { Catalog } from "./pages/Catalog";
import { ClaimPage } from "./pages/Claim";
import { MyOrders } from "./pages/MyOrders";
import { OrderPage } from "./pages/Order";
import { ProductPage } from "./pages/Product";

function Page() {
  const path = usePath();
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return <Catalog />;
  if (parts[0] === "products" && parts.length === 2) return <ProductPage productId={parts[1]!} />;
  if (parts[0] === "orders" && parts.length === 1) return <MyOrders />;
  if (parts[0] === "orders" && parts.length === 2) return <OrderPage orderId={parts[1]!} />;
  if (parts[0] === "orders" && parts[2] === "claims" && parts.length === 4) {
    return <ClaimPage orderId={parts[1]!} claimId={parts[3]!} />;
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Back to the catalog</Link>.
      </p>
    </section>
  );
}

export function Shop() {
  const { session } = useShop();
  const user = useUser();
  return (
    <>
      <header className="top">
        <Link to="/" className="brand">
          Atelier
        </Link>
        <nav aria-label="Main">
          <Link to="/">Catalog</Link>
          <Link to="/orders">My orders</Link>
          {user ? (
            <button type="button" className="link" onClick={() => session.signOut()}>
              Sign out {user.email ?? user.sub}
            </button>
          ) : (
            <button type="button" className="link" onClick={() => void session.signIn()}>
              Sign in
            </button>
          )}
        </nav>
      </header>
      <main>
        <Page />
      </main>
      <footer className="muted">Customized pieces, made by hand and shipped within 5 working days of agreement.</footer>
    </>
  );
}
