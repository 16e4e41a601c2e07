export function ProductPage(_: { productId?: string | null }) { return null; }
