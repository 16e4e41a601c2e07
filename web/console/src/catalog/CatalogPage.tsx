export function CatalogPage(_: { productId?: string | null }) { return null; }
