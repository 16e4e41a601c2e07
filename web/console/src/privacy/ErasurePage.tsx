export function ErasurePage(_: { productId?: string | null }) { return null; }
